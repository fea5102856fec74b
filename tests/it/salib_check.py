"""SALib's indices on a design and outputs regsim wrote, for tests/it/sensitivity.rs.

usage: salib_check.py sobol|morris FILE K [second_order|levels]
FILE: CSV with a header, columns x0..x(K-1) then y. Prints the indices as JSON.
"""
import json
import sys

import numpy as np
from SALib.analyze import morris, sobol

method, path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = np.loadtxt(path, delimiter=",", skiprows=1)
X, Y = data[:, :k], data[:, k]
problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
if method == "sobol":
    second = sys.argv[4] == "1"
    s = sobol.analyze(problem, Y, calc_second_order=second, num_resamples=10, seed=1)
    out = {"S1": s["S1"].tolist(), "ST": s["ST"].tolist()}
    if second:
        out["S2"] = np.nan_to_num(s["S2"], nan=0.0).tolist()
else:
    s = morris.analyze(problem, X, Y, num_resamples=10, num_levels=int(sys.argv[4]), seed=1)
    out = {"mu": list(map(float, s["mu"])), "mu_star": list(map(float, s["mu_star"])),
           "sigma": list(map(float, s["sigma"]))}
print(json.dumps(out))
