"""The IR builder: every layer type, and an inconsistent IR refused naming the layer at fault."""

import copy
import unittest

import torch

from hwnas_trainer.errors import InvalidArchitectureError
from hwnas_trainer.ir import format_arch, nb201_ir, parse_arch
from hwnas_trainer.model import IRNetwork


def layer(type_, id_, inputs, shape, **fields):
    return dict(type=type_, id=id_, name=f"l{id_}", block="b", inputs=inputs,
                outShape=dict(zip("chw", shape)), **fields)


def small_ir():
    """A graph using the layer types the built-in spaces do not: max pool and concat (and all others)."""
    conv = dict(kernel=3, stride=1, padding=1, bias=True)
    layers = [
        layer("input", 0, [], (3, 8, 8)),
        layer("conv", 1, [0], (4, 8, 8), cin=3, cout=4, groups=1, **conv),
        layer("bn", 2, [1], (4, 8, 8), channels=4),
        layer("relu", 3, [2], (4, 8, 8)),
        layer("channel_shuffle", 4, [3], (4, 8, 8), groups=2),
        layer("conv", 5, [4], (4, 8, 8), cin=4, cout=4, groups=4, **conv),
        layer("max_pool", 6, [5], (4, 4, 4), kernel=2, stride=2, padding=0),
        layer("avg_pool", 7, [3], (4, 4, 4), kernel=2, stride=2, padding=0, countIncludePad=True),
        layer("zero", 8, [7], (4, 4, 4)),
        layer("add", 9, [6, 7, 8], (4, 4, 4)),
        layer("concat", 10, [9, 6], (8, 4, 4)),
        layer("global_avg_pool", 11, [10], (8, 1, 1)),
        layer("linear", 12, [11], (5, 1, 1), inFeatures=8, outFeatures=5, bias=True),
    ]
    return {"space": "test", "dataset": "test", "arch": "", "input": {"c": 3, "h": 8, "w": 8}, "numClasses": 5,
            "layers": layers, "output": 12}


class Builder(unittest.TestCase):
    def test_every_layer_type_builds_and_runs(self):
        model = IRNetwork(small_ir())
        out = model(torch.randn(2, 3, 8, 8))
        self.assertEqual(tuple(out.shape), (2, 5))
        out.sum().backward()  # gradients flow through every branch
        self.assertEqual(sum(p.numel() for p in model.parameters()), 3 * 4 * 9 + 4 + 8 + 4 * 9 + 4 + 8 * 5 + 5)

    def test_channel_shuffle_interleaves_groups(self):
        from hwnas_trainer.model import ChannelShuffle
        x = torch.arange(6.0).view(1, 6, 1, 1)
        self.assertEqual(ChannelShuffle(2)(x).flatten().tolist(), [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])

    def test_inconsistent_ir_is_refused_naming_the_layer(self):
        cases = [
            (lambda ir: ir["layers"][6]["outShape"].update(h=8), 'layer 6 ("l6"): outShape (4, 8, 4) does not follow'),
            (lambda ir: ir["layers"][5].update(cin=8), 'layer 5 ("l5"): conv expects 8 input channels but its input has 4'),
            (lambda ir: ir["layers"][9].update(inputs=[6, 3]), "add inputs have different shapes"),
            (lambda ir: ir["layers"][3].update(type="gelu"), "unknown type 'gelu'"),
            (lambda ir: ir["layers"][4].update(inputs=[7]), '"inputs" must list ids of earlier layers'),
            (lambda ir: ir.update(numClasses=10), "not the 10 class scores"),
            (lambda ir: ir.update(layers=[]), 'non-empty "layers" list'),
        ]
        for change, message in cases:
            ir = copy.deepcopy(small_ir())
            change(ir)
            with self.subTest(message=message):
                with self.assertRaises(InvalidArchitectureError) as e:
                    IRNetwork(ir)
                self.assertIn(message, str(e.exception))

    def test_arch_strings_round_trip(self):
        for text in ("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|",
                     ",".join(["k3_e1", "k5_e6_g2"[:5], "skip"] * 7 + ["k3_e1_g2"])):
            space = "nb201" if text.startswith("|") else "fbnet"
            self.assertEqual(format_arch(space, parse_arch(space, text)), text)
        self.assertEqual(parse_arch("fbnet", "[" + ",".join(["8"] * 22) + "]"), [8] * 22)

    def test_all_none_cells_still_build(self):
        # Every node a zero tensor: the network still runs (only the stem, reductions and head learn).
        model = IRNetwork(nb201_ir([0] * 6, "cifar10", width=4, cells=1))
        self.assertEqual(tuple(model(torch.randn(2, 3, 32, 32)).shape), (2, 10))


if __name__ == "__main__":
    unittest.main()
