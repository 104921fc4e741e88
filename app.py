"""installpulse's Streamlit entry in a clone: `streamlit run app.py` (make run).

The navigation and the shared sidebar live in app_pages/main.py, which ships in the installed
package (`installpulse app` runs it); Streamlit executes this file on every rerun, so it calls
`main()` each time.
"""

from app_pages.main import main

main()
