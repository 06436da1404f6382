"""The differentiable pieces of the one-shot searches: the hardware cost expected under the
architecture distribution, its entropy, NA-DARTS's neighbourhood objective, the gradient-reversal
layer and the entropic optimal-transport distance NAS-OoD's generator maximises."""

from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F


def expected_cost(alpha: torch.Tensor, cost_table: torch.Tensor) -> torch.Tensor:
    """sum over decisions e of softmax(alpha_e) . cost_e: the cost of the architecture distribution
    when a network's cost is the sum of per-decision costs (a lookup table, or costs by difference)."""
    if alpha.shape != cost_table.shape:
        raise ValueError(f'cost table shape {tuple(cost_table.shape)} does not match the architecture logits {tuple(alpha.shape)}')
    return (F.softmax(alpha, dim=-1) * cost_table).sum()


def mean_entropy(alpha: torch.Tensor) -> float:
    """Mean Shannon entropy (nats) of the per-decision distributions."""
    p = F.softmax(alpha.detach(), dim=-1)
    return float(-(p * torch.log(p.clamp_min(1e-12))).sum(-1).mean())


def derive(alpha: torch.Tensor) -> List[int]:
    """The architecture the distribution points at: the most likely op of each decision."""
    return [int(i) for i in alpha.detach().argmax(dim=-1)]


def neighbour_shifts(alpha: torch.Tensor, count: int, strength: float, generator: torch.Generator) -> List[torch.Tensor]:
    """`count` constant perturbations of the logits, each a Hamming-1 neighbour of the derived
    architecture: one decision's mass moves from its argmax op to another op (NA-DARTS:
    alpha'_e = alpha_e + c * onehot(o') - c * onehot(argmax alpha_e)). Shifts are constants, so
    the gradient of L(alpha + shift) with respect to alpha is the gradient at the neighbour."""
    d, k = alpha.shape
    top = alpha.detach().argmax(dim=-1)
    shifts = []
    for _ in range(count):
        e = int(torch.randint(d, (1,), generator=generator))
        other = int(torch.randint(k - 1, (1,), generator=generator))
        if other >= int(top[e]):
            other += 1
        s = torch.zeros_like(alpha)
        s[e, other] += strength
        s[e, top[e]] -= strength
        shifts.append(s)
    return shifts


def neighbourhood_loss(loss_at: Callable[[torch.Tensor], torch.Tensor], alpha: torch.Tensor, shifts: Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean of the loss over the architecture itself and its neighbours (alpha + each shift): the
    neighbourhood-aware objective whose minimiser prefers flat regions of the space."""
    losses = [loss_at(alpha)] + [loss_at(alpha + s) for s in shifts]
    return torch.stack(losses).mean()


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:  # type: ignore[override]
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return -ctx.scale * grad, None


def grad_reverse(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by -scale backward. What is upstream of it (the
    generator) ascends the loss that what is downstream (architecture and weights) descends."""
    return _GradReverse.apply(x, scale)


def sinkhorn_distance(a: torch.Tensor, b: torch.Tensor, epsilon: float = 1.0, iterations: int = 100) -> torch.Tensor:
    """Entropic optimal-transport cost between two equally weighted point clouds (rows of `a`, `b`),
    squared Euclidean ground cost, log-domain Sinkhorn iterations; differentiable in both inputs."""
    cost = torch.cdist(a, b, p=2) ** 2
    n, m = cost.shape
    log_mu = torch.full((n,), -torch.log(torch.tensor(float(n))).item(), device=a.device)
    log_nu = torch.full((m,), -torch.log(torch.tensor(float(m))).item(), device=a.device)
    f = torch.zeros(n, device=a.device)
    g = torch.zeros(m, device=a.device)
    for _ in range(iterations):
        f_new = -epsilon * torch.logsumexp((g[None, :] - cost) / epsilon + log_nu[None, :], dim=1)
        g = -epsilon * torch.logsumexp((f_new[:, None] - cost) / epsilon + log_mu[:, None], dim=0)
        if torch.max(torch.abs(f_new - f)) < 1e-4:
            f = f_new
            break
        f = f_new
    log_plan = (f[:, None] + g[None, :] - cost) / epsilon + log_mu[:, None] + log_nu[None, :]
    return (torch.exp(log_plan) * cost).sum()
