"""Witnesses of counterexamples: what makes a trace of the timed search a run that really
can happen, and the evidence a reader can check.

- `timestamps`: the timing rules of a run as linear constraints, Z3's concrete
  timestamps for it (a periodic run for a lasso), and `--explain`'s condition on the
  timing parameters under which it exists;
- `replay`: the independent replay of model.md section 7 on a timed run, written from
  the text apart from the timed search, which every timed counterexample passes before
  it is shown.

Neither is a property: the properties (S1, L0, L1) are in `hacheck.properties`; these
only judge the runs that break them.
"""
