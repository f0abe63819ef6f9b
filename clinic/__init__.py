"""JWT Clinic: a correct cookie-based JWT login, and labs that break it on purpose."""
