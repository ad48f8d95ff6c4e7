"""The monthly agent appraisal (月度绩效考核, ``shared/spec/scorecards.md``).

- ``rules``      every weight, point value, anchor, cap, pay and award as data, per effective month;
- ``counts``     what the data counts per agent (A1, A5, A6, handled tickets, graded callbacks);
- ``scorecard``  one agent's card, item by item like the paper forms;
- ``month``      a division's month: cards, ranking with ties, flags, streaks, the year view;
- ``publish``    freezing a month, the publish log, rectification plans;
- ``inputs``     the supervisors' inputs: Excel template, audited edits, excused calls;
- ``sampler``    the reproducible callback sample (20 handled tickets per agent and month);
- ``installers`` installer units' scores, strikes and next-day callback coverage;
- ``export``     the month to Excel (a summary sheet and one sheet per agent).
"""
