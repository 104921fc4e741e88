"""Thin Streamlit pages over the Streamlit-free packages."""
