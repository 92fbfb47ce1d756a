"""The sandbox's URLs, mounted under /sandbox/ only when SANDBOX_ENABLED is true."""

app_name = "sandbox"

urlpatterns: list = []
