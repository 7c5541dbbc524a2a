"""Encore's entry point (`streamlit run Home.py`): the app around every page — page config,
the store, the profile picker and the navigation — is ``pages/_shared.run_app``."""
from pages import _shared

_shared.run_app()
