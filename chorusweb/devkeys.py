"""Keys of the embedded (DEBUG) configuration only; deploy checks refuse them in production."""

DEV_SECRET_KEY = "chorusweb-development-only-secret-key-never-use-in-production-0123456789"  # noqa: S105 (development only)
DEV_FIELD_KEY = "ZGV2LW9ubHktY2hvcnVzd2ViLWZpZWxkLWtleS0wMDA="
