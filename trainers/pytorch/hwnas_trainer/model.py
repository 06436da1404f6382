"""A PyTorch module built from a network IR (libs/bench-core's `NetworkIR` as JSON).

One builder for every space: it walks the IR's layers in order and gives each one a module (conv,
BN, ReLU, pooling, linear, channel shuffle) or a tensor function (add, concat, zero, global
average pool). Before building, it checks every layer's fields and recomputes its output shape,
so an IR that does not describe a consistent network is refused with the layer that is wrong.
"""

import torch
from torch import nn

from .errors import InvalidArchitectureError

LAYER_TYPES = ("input", "conv", "bn", "relu", "avg_pool", "max_pool", "global_avg_pool", "add", "concat", "linear",
               "channel_shuffle", "zero")


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: (g, c/g) -> (c/g, g) along the channel axis."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class IRNetwork(nn.Module):
    """Runs the IR's layers in topological order; `modules_[str(id)]` holds the layers with weights."""

    def __init__(self, ir):
        super().__init__()
        layers = check_ir(ir)
        self.layer_types = [layer["type"] for layer in layers]
        self.layer_inputs = [list(layer["inputs"]) for layer in layers]
        self.output = ir["output"]
        self.num_classes = ir["numClasses"]
        self.input_shape = (ir["input"]["c"], ir["input"]["h"], ir["input"]["w"])
        self.ops = nn.ModuleDict()
        for layer in layers:
            module = _module(layer)
            if module is not None:
                self.ops[str(layer["id"])] = module
        # Free each intermediate tensor after its last use, so memory stays near the widest cut.
        last_use = {}
        for layer in layers:
            for src in layer["inputs"]:
                last_use[src] = layer["id"]
        self.release_after = [[] for _ in layers]
        for src, user in last_use.items():
            if src != self.output:
                self.release_after[user].append(src)

    def forward(self, x):
        values = [None] * len(self.layer_types)
        values[0] = x
        for i in range(1, len(self.layer_types)):
            t = self.layer_types[i]
            ins = self.layer_inputs[i]
            if t == "add":
                y = values[ins[0]]
                for j in ins[1:]:
                    y = y + values[j]
            elif t == "concat":
                y = torch.cat([values[j] for j in ins], dim=1)
            elif t == "zero":
                y = torch.zeros_like(values[ins[0]])
            elif t == "global_avg_pool":
                y = values[ins[0]].mean(dim=(2, 3), keepdim=True)
            elif t == "linear":
                y = self.ops[str(i)](torch.flatten(values[ins[0]], 1))
            else:
                y = self.ops[str(i)](values[ins[0]])
            values[i] = y
            for j in self.release_after[i]:
                values[j] = None
        return torch.flatten(values[self.output], 1)


def _module(layer):
    t = layer["type"]
    if t == "conv":
        return nn.Conv2d(layer["cin"], layer["cout"], layer["kernel"], stride=layer["stride"], padding=layer["padding"],
                         groups=layer["groups"], bias=layer["bias"])
    if t == "bn":
        return nn.BatchNorm2d(layer["channels"])
    if t == "relu":
        return nn.ReLU(inplace=False)
    if t == "avg_pool":
        return nn.AvgPool2d(layer["kernel"], stride=layer["stride"], padding=layer["padding"],
                            count_include_pad=layer["countIncludePad"])
    if t == "max_pool":
        return nn.MaxPool2d(layer["kernel"], stride=layer["stride"], padding=layer["padding"])
    if t == "linear":
        return nn.Linear(layer["inFeatures"], layer["outFeatures"], bias=layer["bias"])
    if t == "channel_shuffle":
        return ChannelShuffle(layer["groups"])
    return None


def _fail(where, message):
    raise InvalidArchitectureError(f"network IR {where}: {message}")


def _int_field(layer, key, where, minimum=0):
    v = layer.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        _fail(where, f'field "{key}" must be an integer >= {minimum}, got {v!r}')
    return v


def _shape(value, where):
    if not isinstance(value, dict) or any(isinstance(value.get(k), bool) or not isinstance(value.get(k), int)
                                          or value.get(k) < 1 for k in "chw"):
        _fail(where, f"shape must be an object with positive integers c, h, w, got {value!r}")
    return value["c"], value["h"], value["w"]


def check_ir(ir):
    """The IR's layers, after checking that each is well formed and its outShape follows from its inputs."""
    if not isinstance(ir, dict) or not isinstance(ir.get("layers"), list) or not ir["layers"]:
        _fail("", 'must be an object with a non-empty "layers" list')
    layers = ir["layers"]
    input_shape = _shape(ir.get("input"), '"input"')
    num_classes = ir.get("numClasses")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        _fail('"numClasses"', f"must be a positive integer, got {num_classes!r}")
    output = ir.get("output")
    if isinstance(output, bool) or not isinstance(output, int) or not 0 < output < len(layers):
        _fail('"output"', f"must be a layer id 1-{len(layers) - 1}, got {output!r}")
    shapes = []
    for i, layer in enumerate(layers):
        where = f"layer {i}"
        if not isinstance(layer, dict):
            _fail(where, "must be an object")
        if "name" in layer:
            where = f'layer {i} ("{layer["name"]}")'
        t = layer.get("type")
        if t not in LAYER_TYPES:
            _fail(where, f'unknown type {t!r}; known: {", ".join(LAYER_TYPES)}')
        if layer.get("id") != i:
            _fail(where, f'"id" must be its position {i}, got {layer.get("id")!r}')
        ins = layer.get("inputs")
        if not isinstance(ins, list) or any(isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < i for j in ins):
            _fail(where, f'"inputs" must list ids of earlier layers, got {ins!r}')
        if (i == 0) != (t == "input"):
            _fail(where, "the first layer, and only it, must be the input")
        out = _shape(layer.get("outShape"), where + " outShape")
        if t == "input":
            expected = input_shape
        elif t in ("add", "concat"):
            if len(ins) < 2:
                _fail(where, f"{t} needs at least two inputs")
            in_shapes = [shapes[j] for j in ins]
            if t == "add":
                if any(s != in_shapes[0] for s in in_shapes):
                    _fail(where, f"add inputs have different shapes {in_shapes}")
                expected = in_shapes[0]
            else:
                if any(s[1:] != in_shapes[0][1:] for s in in_shapes):
                    _fail(where, f"concat inputs have different sizes {in_shapes}")
                expected = (sum(s[0] for s in in_shapes),) + in_shapes[0][1:]
        else:
            if len(ins) != 1:
                _fail(where, f"{t} takes one input, got {len(ins)}")
            expected = _layer_out(layer, t, shapes[ins[0]], where)
        if out != expected:
            _fail(where, f"outShape {out} does not follow from its input: expected {expected}")
        shapes.append(out)
    if shapes[output] != (num_classes, 1, 1):
        _fail('"output"', f"layer {output} gives {shapes[output]}, not the {num_classes} class scores")
    return layers


def _layer_out(layer, t, s, where):
    c, h, w = s
    if t in ("bn", "relu", "zero", "channel_shuffle"):
        if t == "bn" and _int_field(layer, "channels", where, 1) != c:
            _fail(where, f"bn has {layer['channels']} channels but its input has {c}")
        if t == "channel_shuffle" and c % _int_field(layer, "groups", where, 1) != 0:
            _fail(where, f"{c} channels do not split into {layer['groups']} groups")
        return s
    if t == "global_avg_pool":
        return (c, 1, 1)
    if t == "linear":
        if _int_field(layer, "inFeatures", where, 1) != c * h * w:
            _fail(where, f"linear expects {layer['inFeatures']} features but its input has {c * h * w}")
        if not isinstance(layer.get("bias"), bool):
            _fail(where, '"bias" must be true or false')
        return (_int_field(layer, "outFeatures", where, 1), 1, 1)
    k = _int_field(layer, "kernel", where, 1)
    stride = _int_field(layer, "stride", where, 1)
    pad = _int_field(layer, "padding", where, 0)
    hw = ((h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1)
    if hw[0] < 1 or hw[1] < 1:
        _fail(where, f"a {k}x{k} window does not fit a {h}x{w} input")
    if t in ("avg_pool", "max_pool"):
        if t == "avg_pool" and not isinstance(layer.get("countIncludePad"), bool):
            _fail(where, '"countIncludePad" must be true or false')
        return (c,) + hw
    # conv
    cin = _int_field(layer, "cin", where, 1)
    cout = _int_field(layer, "cout", where, 1)
    groups = _int_field(layer, "groups", where, 1)
    if cin != c:
        _fail(where, f"conv expects {cin} input channels but its input has {c}")
    if cin % groups or cout % groups:
        _fail(where, f"conv channels {cin}->{cout} do not split into {groups} groups")
    if not isinstance(layer.get("bias"), bool):
        _fail(where, '"bias" must be true or false')
    return (cout,) + hw
