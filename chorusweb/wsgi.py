import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorusweb.settings")

application = get_wsgi_application()

from chorusweb.checks import require_keys  # noqa: E402 (after setup: settings read, apps loaded)

require_keys()
