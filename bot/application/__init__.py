"""Application wiring ("ứng dụng"): settings, the app context, the engine's collaborators,
`youthbot run` and the scheduler."""
