"""``manage.py benchmark``: query counts and latency of the key pages and actions.

* ``cases`` — the registry: one function per page or action, saying who asks
  for what (a later API endpoint is one more ``@case`` function);
* ``dataset`` — what the cases run against: people and objects found in the
  data, and the benchmark project made once when the data lacks one;
* ``runner`` — warm-ups, repeats, query counts, median and p95, the floor;
* ``diagnosis`` — for a case over target: its slowest queries, their plans
  and the Python functions where the time goes.
"""
