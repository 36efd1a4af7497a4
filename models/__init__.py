"""The model and everything needed to reproduce one prediction. Imports nothing else of ours."""
