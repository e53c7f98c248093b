"""The managers' assessment in the browser: pages (pages.py), their Excel exports (exports.py), the
POST actions (actions.py), and what pages and exports share (common.py)."""
