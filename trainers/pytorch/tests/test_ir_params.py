"""The PyTorch networks are exactly the structure libs/bench-core's IR describes."""

import json
import random
import subprocess
import unittest

from hwnas_trainer.ir import build_ir, nb201_ir, parse_arch
from hwnas_trainer.model import IRNetwork

from .support import REPO_ROOT


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def typescript_cases(count, seed):
    """IRs and parameter counts from libs/bench-core for random architectures (tests/dump_ir.ts)."""
    p = subprocess.run(["node", "--import", "tsx", "trainers/pytorch/tests/dump_ir.ts", str(count), str(seed)],
                       cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"dump_ir.ts failed: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


class ParamsEqualIR(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A new draw of architectures per run, named in failures so any one can be replayed.
        cls.seed = random.SystemRandom().randrange(1, 2**31)
        cls.cases = typescript_cases(4, cls.seed)

    def test_both_spaces_are_covered(self):
        spaces = {(c["space"], c["dataset"]) for c in self.cases}
        self.assertTrue({("nb201", "cifar10"), ("nb201", "cifar100"), ("nb201", "ImageNet16-120"),
                         ("fbnet", "cifar100"), ("fbnet", "ImageNet")} <= spaces, spaces)

    def test_model_from_the_typescript_ir_has_its_param_count(self):
        for c in self.cases:
            with self.subTest(space=c["space"], dataset=c["dataset"], arch=c["string"], seed=self.seed):
                self.assertEqual(count_params(IRNetwork(c["ir"])), c["params"])

    def test_nasbench201_published_counts(self):
        # NAS-Bench-201 lists 1.53 MB (all nor_conv_3x3) and 0.073 MB (all none) on CIFAR-10.
        by_arch = {c["string"]: c["params"] for c in self.cases if c["dataset"] == "cifar10"}
        self.assertEqual(by_arch["|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
                                 "nor_conv_3x3~2|"], 1531546)
        self.assertEqual(count_params(IRNetwork(nb201_ir([3] * 6, "cifar10"))), 1531546)
        self.assertEqual(count_params(IRNetwork(nb201_ir([0] * 6, "cifar10"))), 73306)

    def test_ir_from_the_arch_string_equals_the_typescript_ir(self):
        for c in self.cases:
            with self.subTest(space=c["space"], dataset=c["dataset"], arch=c["string"], seed=self.seed):
                arch = parse_arch(c["space"], c["string"])
                self.assertEqual(arch, c["encoding"])
                self.assertEqual(build_ir(c["space"], arch, c["dataset"]), c["ir"])

    def test_forward_gives_every_layer_its_ir_shape(self):
        import torch
        for c in self.cases:
            if c["dataset"] == "ImageNet":
                continue  # 224x224: the same code path, only slower
            with self.subTest(space=c["space"], arch=c["string"], seed=self.seed):
                model = IRNetwork(c["ir"]).eval()
                shapes = {}
                hooks = [m.register_forward_hook(lambda m, i, o, k=k: shapes.__setitem__(int(k), tuple(o.shape[1:])))
                         for k, m in model.ops.items()]
                with torch.no_grad():
                    out = model(torch.zeros(1, *model.input_shape))
                for h in hooks:
                    h.remove()
                self.assertEqual(tuple(out.shape), (1, c["ir"]["numClasses"]))
                for k, shape in shapes.items():
                    s = c["ir"]["layers"][k]["outShape"]
                    expect = (s["c"],) if c["ir"]["layers"][k]["type"] == "linear" else (s["c"], s["h"], s["w"])
                    self.assertEqual(shape, expect, c["ir"]["layers"][k]["name"])

    def test_width_and_cells_scale_the_nb201_network(self):
        small = count_params(IRNetwork(nb201_ir([3] * 6, "cifar10", width=8, cells=1)))
        default = count_params(IRNetwork(nb201_ir([3] * 6, "cifar10")))
        self.assertLess(small, default / 10)
        ir = nb201_ir([3] * 6, "cifar10", width=8, cells=2)
        self.assertEqual(sum(1 for layer in ir["layers"] if layer["name"].endswith(".cell1.edge0->1.conv")), 3)
        self.assertEqual(ir["layers"][1]["cout"], 8)


if __name__ == "__main__":
    unittest.main()
