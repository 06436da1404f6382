"""The differentiable pieces, checked with real tensors against sums and gradients computed by hand."""
import os
import sys
import unittest

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from oneshot.objectives import (derive, expected_cost, grad_reverse, mean_entropy, neighbour_shifts,  # noqa: E402
                                neighbourhood_loss, sinkhorn_distance)
from oneshot.supernet import NB201Supernet, FBNetSupernet, nb201_format  # noqa: E402


class ExpectedCost(unittest.TestCase):
    def test_equals_the_hand_computed_sum(self):
        alpha = torch.tensor([[0.0, 1.0, -1.0], [2.0, 0.5, 0.0]])
        table = torch.tensor([[1.0, 4.0, 9.0], [2.0, 3.0, 5.0]])
        by_hand = 0.0
        for e in range(2):
            z = np.exp(alpha[e].numpy().astype(np.float64))
            p = z / z.sum()
            by_hand += float((p * table[e].numpy()).sum())
        self.assertAlmostEqual(float(expected_cost(alpha, table)), by_hand, places=5)

    def test_refuses_a_table_of_the_wrong_shape(self):
        with self.assertRaisesRegex(ValueError, 'does not match'):
            expected_cost(torch.zeros(6, 5), torch.zeros(6, 4))

    def test_one_hot_logits_give_the_architecture_cost(self):
        table = torch.arange(30, dtype=torch.float32).reshape(6, 5)
        enc = [0, 1, 2, 3, 4, 0]
        alpha = torch.full((6, 5), -40.0)
        for e, o in enumerate(enc):
            alpha[e, o] = 40.0
        self.assertAlmostEqual(float(expected_cost(alpha, table)), sum(float(table[e, o]) for e, o in enumerate(enc)), places=3)
        self.assertEqual(derive(alpha), enc)


class GradientReversal(unittest.TestCase):
    def test_forward_is_identity_and_backward_flips_the_sign(self):
        x = torch.randn(4, 3, requires_grad=True)
        w = torch.randn(4, 3)
        y = grad_reverse(x)
        self.assertTrue(torch.equal(y, x))
        (y * w).sum().backward()
        self.assertTrue(torch.allclose(x.grad, -w))

    def test_generator_ascends_what_the_classifier_descends(self):
        torch.manual_seed(0)
        g = torch.nn.Linear(3, 3)
        f = torch.nn.Linear(3, 2)
        x = torch.randn(8, 3)
        y = torch.randint(0, 2, (8,))
        F.cross_entropy(f(g(x)), y).backward()
        plain = g.weight.grad.clone()
        g.zero_grad()
        f.zero_grad()
        F.cross_entropy(f(grad_reverse(g(x))), y).backward()
        self.assertTrue(torch.allclose(g.weight.grad, -plain, atol=1e-7))


class NeighbourhoodObjective(unittest.TestCase):
    def test_gradient_equals_the_hand_computed_neighbourhood_gradient(self):
        # Toy supernet: loss(alpha) = sum_e softmax(alpha_e) . c_e. Its gradient is known in closed
        # form: d/d alpha_ej = p_ej (c_ej - p_e . c_e). The neighbourhood loss averages it over the
        # architecture and its shifted neighbours.
        torch.manual_seed(1)
        c = torch.randn(6, 5, dtype=torch.float64)
        alpha = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
        shifts = neighbour_shifts(alpha.detach().float(), 4, 2.0, torch.Generator().manual_seed(3))
        shifts = [s.double() for s in shifts]
        loss = neighbourhood_loss(lambda a: (F.softmax(a, -1) * c).sum(), alpha, shifts)
        loss.backward()
        grads = []
        for s in [torch.zeros_like(alpha)] + shifts:
            a = (alpha.detach() + s).numpy()
            p = np.exp(a) / np.exp(a).sum(1, keepdims=True)
            cn = c.numpy()
            grads.append(p * (cn - (p * cn).sum(1, keepdims=True)))
        by_hand = np.mean(grads, axis=0)
        np.testing.assert_allclose(alpha.grad.numpy(), by_hand, rtol=1e-10, atol=1e-12)

    def test_each_shift_is_a_hamming_1_neighbour_of_the_derived_architecture(self):
        alpha = torch.randn(6, 5)
        for s in neighbour_shifts(alpha, 20, 5.0, torch.Generator().manual_seed(0)):
            changed = (s != 0).any(1).nonzero().flatten().tolist()
            self.assertEqual(len(changed), 1)
            e = changed[0]
            self.assertEqual(float(s[e].sum()), 0.0)
            self.assertEqual(int(s[e].argmin()), int(alpha[e].argmax()))

    def test_on_a_real_supernet_it_is_the_mean_of_the_neighbours_gradients(self):
        torch.manual_seed(2)
        net = NB201Supernet(num_classes=3, width=4, cells=1).double().eval()
        x = torch.randn(6, 3, 8, 8, dtype=torch.float64)
        y = torch.randint(0, 3, (6,))
        alpha = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
        shifts = [s.double() for s in neighbour_shifts(alpha.detach().float(), 3, 1.5, torch.Generator().manual_seed(5))]
        neighbourhood_loss(lambda a: F.cross_entropy(net(x, a), y), alpha, shifts).backward()
        separately = torch.zeros_like(alpha)
        for s in [torch.zeros_like(alpha)] + shifts:
            a = (alpha.detach() + s).requires_grad_(True)
            F.cross_entropy(net(x, a), y).backward()
            separately += a.grad / (len(shifts) + 1)
        self.assertTrue(torch.allclose(alpha.grad, separately, atol=1e-12))


class Sinkhorn(unittest.TestCase):
    def test_distance_grows_with_the_shift_and_is_differentiable(self):
        torch.manual_seed(0)
        a = torch.randn(16, 4)
        near = sinkhorn_distance(a, a + 0.1)
        far = sinkhorn_distance(a, a + 2.0)
        self.assertLess(float(near), float(far))
        b = (a + 1.0).requires_grad_(True)
        sinkhorn_distance(a, b).backward()
        self.assertTrue(torch.isfinite(b.grad).all())
        self.assertGreater(float(b.grad.abs().sum()), 0.0)


class Supernets(unittest.TestCase):
    def test_entropy_and_formats(self):
        self.assertAlmostEqual(mean_entropy(torch.zeros(6, 5)), float(np.log(5)), places=5)
        self.assertEqual(nb201_format([3, 1, 0, 2, 4, 3]), '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|')
        self.assertEqual(FBNetSupernet.format([8] * 22), ','.join(['skip'] * 22))

    def test_fbnet_supernet_runs_at_a_small_width(self):
        torch.manual_seed(0)
        net = FBNetSupernet(num_classes=5, width_mult=0.125)
        out = net(torch.randn(2, 3, 32, 32), torch.zeros(22, 9))
        self.assertEqual(tuple(out.shape), (2, 5))


if __name__ == '__main__':
    unittest.main()
