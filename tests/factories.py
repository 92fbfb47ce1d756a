"""factory-boy factories shared by the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from chorusweb.models import Connection, Membership, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    password = factory.django.Password("secret-password-123")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    name = factory.Sequence(lambda n: f"Connexion {n}")
    api_base_url = "http://127.0.0.1:9/sandbox"
    account_email = factory.Sequence(lambda n: f"account{n}@example.test")
    password = "factpulse-password"
    client_uid = factory.Faker("uuid4", cast_to=None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    connection = factory.SubFactory(ConnectionFactory)
    role = Role.RECIPIENT
    service_codes = factory.LazyFunction(list)
