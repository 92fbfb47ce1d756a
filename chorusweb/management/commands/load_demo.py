from django.core.management.base import BaseCommand

from chorusweb.demo import DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Create the demo users and their connection to the sandbox (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--api-url", help="FactPulse API URL of the demo connection.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args, **options):
        connection = load_demo(options.get("api_url"))
        self.stdout.write(
            self.style.SUCCESS(f"Démo prête : connexion « {connection.name} » → {connection.api_base_url}")
        )
        if not options["quiet_logins"]:
            self.stdout.write("Identifiants de démonstration :")
            for demo in DEMO_USERS:
                self.stdout.write(f"  {demo.username:<10} / {demo.password:<16}  {demo.description}")
