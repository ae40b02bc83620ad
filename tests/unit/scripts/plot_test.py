#!/usr/bin/python3
"""Tests of scripts/plot.py's mathematics: the mean and range over runs whose evaluations fall at different
x values (the real figures are checked on real runs by tests/integration/plot_test.cc)."""
import importlib.util
import os
import unittest

_spec = importlib.util.spec_from_file_location(
    "plot", os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "plot.py"))
plot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plot)


class StrictlyIncreasingTest(unittest.TestCase):
    def test_sorts_and_keeps_the_latest_point_at_an_x(self):
        self.assertEqual(plot.strictly_increasing([1, 2, 2, 0], [10, 20, 30, 40]), ([0, 1, 2], [40, 10, 30]))


class MeanAndRangeTest(unittest.TestCase):
    def test_interpolates_each_curve_onto_the_common_interval(self):
        # a: y = x on [0, 10]; b: from 20 at x = 5 down to 0 at x = 15, so 10 at x = 10. Common: [5, 10].
        grid, mean, low, high = plot.mean_and_range([([0, 10], [0, 10]), ([5, 15], [20, 0])])
        self.assertEqual(grid, [5, 10])
        self.assertEqual(mean, [12.5, 10])
        self.assertEqual(low, [5, 10])
        self.assertEqual(high, [20, 10])

    def test_the_grid_is_every_curve_s_own_x_inside_the_common_interval(self):
        # a: a tent 0 -> 4 -> 0 over [0, 4]; b: y = x over [1, 3]. Common: [1, 3], grid {1, 2, 3}.
        grid, mean, low, high = plot.mean_and_range([([0, 2, 4], [0, 4, 0]), ([1, 3], [1, 3])])
        self.assertEqual(grid, [1, 2, 3])
        self.assertEqual(mean, [1.5, 3, 2.5])
        self.assertEqual(low, [1, 2, 2])
        self.assertEqual(high, [2, 4, 3])

    def test_the_mean_is_the_mean_not_the_median(self):
        _, mean, low, high = plot.mean_and_range([([0, 1], [0, 0]), ([0, 1], [0, 0]), ([0, 1], [9, 9])])
        self.assertEqual(mean, [3, 3])
        self.assertEqual(low, [0, 0])
        self.assertEqual(high, [9, 9])

    def test_curves_that_do_not_overlap_have_no_mean(self):
        self.assertIsNone(plot.mean_and_range([([0, 1], [0, 1]), ([2, 3], [0, 1])]))
        self.assertIsNone(plot.mean_and_range([([], []), ([], [])]))


if __name__ == "__main__":
    unittest.main()
