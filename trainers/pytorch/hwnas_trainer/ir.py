"""Network IRs in the JSON form libs/bench-core writes (`NetworkIR`), built from an architecture.

The trainer prefers the IR that comes in the trial file. This module builds the same graph from the
architecture string when there is none, or when --width / --cells ask for a NAS-Bench-201 network
other than the benchmark's C=16, N=5 (the TypeScript IR only describes that one). The layer order,
names and fields follow libs/bench-core/src/ir/nb201.ts and fbnet.ts; a test checks that both
agree layer by layer for random architectures.
"""

import json

from .errors import InvalidArchitectureError, InvalidArgumentError

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# Cell edges (from, to) in arch-string order.
NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NB201_DATASETS = {"cifar10": (32, 10), "cifar100": (32, 100), "ImageNet16-120": (16, 120)}
NB201_DEFAULT_WIDTH = 16
NB201_DEFAULT_CELLS = 5
NB201_STAGES = 3

# The FBNet macro of HW-NAS-Bench (hw-nas-bench/fbnet-space.json; FBNET_MACRO in libs/bench-core).
FBNET_BLOCKS = (
    ("k3_e1", 3, 1, 1),
    ("k3_e1_g2", 3, 1, 2),
    ("k3_e3", 3, 3, 1),
    ("k3_e6", 3, 6, 1),
    ("k5_e1", 5, 1, 1),
    ("k5_e1_g2", 5, 1, 2),
    ("k5_e3", 5, 3, 1),
    ("k5_e6", 5, 6, 1),
    ("skip", None, None, None),
)
FBNET_NUM_LAYERS = 22
FBNET_STEM_CHANNELS = 16
FBNET_STAGE_NUM_LAYERS = (1, 4, 4, 4, 4, 4, 1)
FBNET_STAGE_OUT_CHANNELS = (16, 24, 32, 64, 112, 184, 352)
FBNET_DATASETS = {
    # input_hw, stem_stride, stage_first_layer_stride, head_channels, num_classes
    "cifar100": (32, 1, (1, 1, 2, 2, 1, 2, 1), 1504, 100),
    "ImageNet": (224, 2, (1, 2, 2, 2, 1, 2, 1), 1984, 1000),
}

SPACES = ("nb201", "fbnet")


def parse_arch(space, text):
    """The decision vector (list of option indices) of an architecture string of `space`."""
    if space == "nb201":
        return _parse_nb201(text)
    if space == "fbnet":
        return _parse_fbnet(text)
    raise InvalidArgumentError(f'unknown space "{space}"; known: {", ".join(SPACES)}')


def format_arch(space, arch):
    """The canonical string of decision vector `arch`."""
    check_encoding(space, arch)
    if space == "nb201":
        o = [NB201_OPS[i] for i in arch]
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"
    return ",".join(FBNET_BLOCKS[i][0] for i in arch)


def check_encoding(space, arch):
    """Raises InvalidArchitectureError unless `arch` is a valid decision vector of `space`."""
    n, k = (6, len(NB201_OPS)) if space == "nb201" else (FBNET_NUM_LAYERS, len(FBNET_BLOCKS))
    if not isinstance(arch, (list, tuple)) or len(arch) != n:
        raise InvalidArchitectureError(f"{space} encoding must be a list of {n} option indices, got {arch!r}")
    for pos, v in enumerate(arch):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < k:
            raise InvalidArchitectureError(f"{space} encoding position {pos}: {v!r} is not an option index 0-{k - 1}")
    return list(arch)


def _parse_nb201(text):
    if not isinstance(text, str):
        raise InvalidArchitectureError("nb201 architecture must be a string")
    s = text.strip()
    nodes = s.split("+")
    if len(nodes) != 3:
        raise InvalidArchitectureError(
            f'nb201 architecture "{s}" must have 3 nodes separated by "+", '
            'like |nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|'
        )
    arch = []
    for j, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|")):
            raise InvalidArchitectureError(f'nb201 architecture "{s}": node {j} "{node}" must start and end with "|"')
        tokens = node[1:-1].split("|")
        if len(tokens) != j:
            raise InvalidArchitectureError(f'nb201 architecture "{s}": node {j} must have {j} edges, got {len(tokens)}')
        for i, token in enumerate(tokens):
            op, sep, src = token.partition("~")
            if op not in NB201_OPS:
                raise InvalidArchitectureError(
                    f'nb201 architecture "{s}": unknown operation "{op}" on edge {i}->{j}; known: {", ".join(NB201_OPS)}'
                )
            if sep != "~" or src != str(i):
                raise InvalidArchitectureError(f'nb201 architecture "{s}": edge token "{token}" must be "{op}~{i}"')
            arch.append(NB201_OPS.index(op))
    return arch


def _parse_fbnet(text):
    if not isinstance(text, str):
        raise InvalidArchitectureError("fbnet architecture must be a string")
    s = text.strip()
    if s.startswith("["):
        try:
            value = json.loads(s)
        except ValueError as e:
            raise InvalidArchitectureError(f'fbnet architecture "{s}" is not valid JSON: {e}') from None
        return check_encoding("fbnet", value)
    names = [t.strip() for t in s.split(",")]
    if len(names) != FBNET_NUM_LAYERS:
        raise InvalidArchitectureError(f'fbnet architecture must list {FBNET_NUM_LAYERS} blocks, got {len(names)} in "{s}"')
    known = [b[0] for b in FBNET_BLOCKS]
    arch = []
    for i, name in enumerate(names):
        if name not in known:
            raise InvalidArchitectureError(f'fbnet layer {i}: unknown block "{name}"; known: {", ".join(known)}')
        arch.append(known.index(name))
    return arch


class _Graph:
    """Appends IR layers (dicts shaped like the TypeScript `Layer` union) and hands out ids."""

    def __init__(self):
        self.layers = []

    def add(self, type_, name, block, inputs, shape, **fields):
        layer = {"type": type_, "id": len(self.layers), "name": name, "block": block, "inputs": list(inputs),
                 "outShape": dict(shape)}
        layer.update(fields)
        self.layers.append(layer)
        return layer["id"]

    def shape(self, layer_id):
        return self.layers[layer_id]["outShape"]

    def conv(self, name, block, src, cout, kernel, stride, padding, groups, bias=False):
        s = self.shape(src)
        hw = (s["h"] + 2 * padding - kernel) // stride + 1
        return self.add("conv", name, block, [src], {"c": cout, "h": hw, "w": hw}, cin=s["c"], cout=cout,
                        kernel=kernel, stride=stride, padding=padding, groups=groups, bias=bias)

    def bn(self, name, block, src):
        s = self.shape(src)
        return self.add("bn", name, block, [src], s, channels=s["c"])

    def relu(self, name, block, src):
        return self.add("relu", name, block, [src], self.shape(src))


def nb201_ir(arch, dataset, width=NB201_DEFAULT_WIDTH, cells=NB201_DEFAULT_CELLS):
    """NAS-Bench-201's TinyNetwork for op vector `arch` with C=`width`, N=`cells` (the IR of libs/bench-core at 16, 5)."""
    arch = check_encoding("nb201", arch)
    if dataset not in NB201_DATASETS:
        raise InvalidArgumentError(f'nb201 has no dataset "{dataset}"; known: {", ".join(NB201_DATASETS)}')
    if width < 1 or cells < 1:
        raise InvalidArgumentError(f"--width and --cells must be at least 1, got {width} and {cells}")
    hw, num_classes = NB201_DATASETS[dataset]
    g = _Graph()
    inp = {"c": 3, "h": hw, "w": hw}
    g.add("input", "input", "stem", [], inp)
    cur = g.conv("stem.conv", "stem", 0, width, 3, 1, 1, 1)
    cur = g.bn("stem.bn", "stem", cur)
    for s in range(NB201_STAGES):
        if s > 0:
            cur = _nb201_reduction(g, f"reduction{s - 1}", cur)
        for i in range(cells):
            cur = _nb201_cell(g, f"stage{s}.cell{i}", arch, cur)
    cur = g.bn("head.bn", "head", cur)
    cur = g.relu("head.relu", "head", cur)
    c = g.shape(cur)["c"]
    cur = g.add("global_avg_pool", "head.pool", "head", [cur], {"c": c, "h": 1, "w": 1})
    out = g.add("linear", "head.fc", "head", [cur], {"c": num_classes, "h": 1, "w": 1}, inFeatures=c,
                outFeatures=num_classes, bias=True)
    return {"space": "nb201", "dataset": dataset, "arch": format_arch("nb201", arch), "input": inp,
            "numClasses": num_classes, "layers": g.layers, "output": out}


def _nb201_cell(g, block, arch, cell_in):
    nodes = [cell_in]
    for j in (1, 2, 3):
        outs = []
        for k, (src_node, to) in enumerate(NB201_EDGES):
            if to != j or arch[k] == 0:
                continue
            op = NB201_OPS[arch[k]]
            src = nodes[src_node]
            prefix = f"{block}.edge{src_node}->{to}"
            if op == "skip_connect":
                out = src
            elif op == "avg_pool_3x3":
                out = g.add("avg_pool", f"{prefix}.pool", block, [src], g.shape(src), kernel=3, stride=1, padding=1,
                            countIncludePad=False)
            else:
                kernel = 1 if op == "nor_conv_1x1" else 3
                out = g.relu(f"{prefix}.relu", block, src)
                out = g.conv(f"{prefix}.conv", block, out, g.shape(src)["c"], kernel, 1, kernel // 2, 1)
                out = g.bn(f"{prefix}.bn", block, out)
            outs.append(out)
        if not outs:
            node = g.add("zero", f"{block}.node{j}.zero", block, [cell_in], g.shape(cell_in))
        elif len(outs) == 1:
            node = outs[0]
        else:
            node = g.add("add", f"{block}.node{j}.add", block, outs, g.shape(outs[0]))
        nodes.append(node)
    return nodes[3]


def _nb201_reduction(g, block, src):
    s = g.shape(src)
    cout = s["c"] * 2
    a = g.relu(f"{block}.conv_a.relu", block, src)
    a = g.conv(f"{block}.conv_a.conv", block, a, cout, 3, 2, 1, 1)
    a = g.bn(f"{block}.conv_a.bn", block, a)
    b = g.relu(f"{block}.conv_b.relu", block, a)
    b = g.conv(f"{block}.conv_b.conv", block, b, cout, 3, 1, 1, 1)
    b = g.bn(f"{block}.conv_b.bn", block, b)
    hw = (s["h"] - 2) // 2 + 1
    p = g.add("avg_pool", f"{block}.shortcut.pool", block, [src], {"c": s["c"], "h": hw, "w": hw}, kernel=2, stride=2,
              padding=0, countIncludePad=True)
    p = g.conv(f"{block}.shortcut.conv", block, p, cout, 1, 1, 0, 1)
    return g.add("add", f"{block}.add", block, [b, p], g.shape(b))


def fbnet_ir(arch, dataset):
    """The FBNet network HW-NAS-Bench composes for `dataset` (cifar100 or ImageNet), as libs/bench-core's IR."""
    arch = check_encoding("fbnet", arch)
    if dataset not in FBNET_DATASETS:
        raise InvalidArgumentError(f'fbnet has no dataset "{dataset}"; known: {", ".join(FBNET_DATASETS)}')
    input_hw, stem_stride, first_strides, head_channels, num_classes = FBNET_DATASETS[dataset]
    g = _Graph()
    inp = {"c": 3, "h": input_hw, "w": input_hw}
    g.add("input", "input", "stem", [], inp)

    def conv_bn(prefix, block, src, cout, kernel, stride, padding, groups, relu):
        x = g.conv(f"{prefix}.conv", block, src, cout, kernel, stride, padding, groups)
        x = g.bn(f"{prefix}.bn", block, x)
        return g.relu(f"{prefix}.relu", block, x) if relu else x

    cur = conv_bn("stem", "stem", 0, FBNET_STEM_CHANNELS, 3, stem_stride, 1, 1, True)
    layer = 0
    cin = FBNET_STEM_CHANNELS
    for stage, n in enumerate(FBNET_STAGE_NUM_LAYERS):
        cout = FBNET_STAGE_OUT_CHANNELS[stage]
        for j in range(n):
            stride = first_strides[stage] if j == 0 else 1
            block = f"layer{layer}"
            _, kernel, expansion, group = FBNET_BLOCKS[arch[layer]]
            residual = stride == 1 and cin == cout
            if kernel is None:
                if not residual:
                    cur = conv_bn(f"{block}.skip", block, cur, cout, 1, stride, 0, 1, True)
            else:
                mid = cin * expansion
                block_in = cur
                cur = conv_bn(f"{block}.expand", block, cur, mid, 1, 1, 0, group, True)
                if group > 1:
                    cur = g.add("channel_shuffle", f"{block}.shuffle", block, [cur], g.shape(cur), groups=group)
                cur = conv_bn(f"{block}.dw", block, cur, mid, kernel, stride, kernel // 2, mid, True)
                cur = conv_bn(f"{block}.project", block, cur, cout, 1, 1, 0, group, False)
                if residual:
                    cur = g.add("add", f"{block}.add", block, [cur, block_in], g.shape(cur))
            cin = cout
            layer += 1
    cur = conv_bn("head", "head", cur, head_channels, 1, 1, 0, 1, True)
    cur = g.add("global_avg_pool", "head.pool", "head", [cur], {"c": head_channels, "h": 1, "w": 1})
    out = g.add("linear", "head.fc", "head", [cur], {"c": num_classes, "h": 1, "w": 1}, inFeatures=head_channels,
                outFeatures=num_classes, bias=True)
    return {"space": "fbnet", "dataset": dataset, "arch": format_arch("fbnet", arch), "input": inp,
            "numClasses": num_classes, "layers": g.layers, "output": out}


def build_ir(space, arch, dataset, width=None, cells=None):
    """The IR of decision vector `arch`; width/cells (None = the benchmark's) apply to nb201 only."""
    if space == "nb201":
        return nb201_ir(arch, dataset, NB201_DEFAULT_WIDTH if width is None else width,
                        NB201_DEFAULT_CELLS if cells is None else cells)
    if space == "fbnet":
        if width is not None or cells is not None:
            raise InvalidArgumentError("--width and --cells apply to nb201 only; the fbnet macro is fixed")
        return fbnet_ir(arch, dataset)
    raise InvalidArgumentError(f'unknown space "{space}"; known: {", ".join(SPACES)}')

