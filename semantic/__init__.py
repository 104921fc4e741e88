"""The semantic core: one request in, one answer out, for every surface.

`request` (what is asked, parsed once), `presets` (the shared choices and defaults), `totals`
(how stored series add up: the rules, in SQL as the macro ``ip_totals``), `answer` (the
frames the CLI, the pages and the exports lay out) and `views` (the pages' state and layout
helpers). Streamlit-free: pages and the CLI only translate their inputs into a request.
"""
