"""The Streamlit widgets of the app, one module per tab; ``app.py`` wires them."""
