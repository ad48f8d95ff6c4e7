"""The monthly review pack (月度复盘): ``pack`` builds and freezes it, ``render`` formats it for people,
``pdf`` and ``excel`` export it; ``python -m reports`` is its command line."""
