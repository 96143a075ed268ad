"""One account per e-mail address: a unique index on auth_user's lower(email), for every
non-empty address (accounts without one may be many), on SQLite and PostgreSQL alike.
community.addresses says why lower(email) is the site's notion of the same address.

A database that already holds an address on two accounts is left as it is: the
migration stops before the index with a message naming those accounts, and nothing is
changed until the operator gives each of them an address of its own. `paperwire
migrate` prints that as one line (a CommandError, see paperwire.cli)."""

from typing import Any

from django.core.management.base import CommandError
from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower

INDEX = "community_user_email_unique"
SHOWN = 20  # addresses named in the message; the count says how many more


def refuse_duplicates(apps: Any, schema_editor: Any) -> None:
    """Raise CommandError naming the accounts that share an address, if any do. The
    addresses are grouped by the index's own expression, so this finds exactly the rows
    the index would refuse."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # No sign-up may store a second address between this check and the index (the
        # lock lasts until the migration's transaction ends; reads go on). On SQLite the
        # migration's transaction already holds the one write lock.
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE auth_user IN SHARE MODE")
    users = apps.get_model("auth", "User").objects.using(connection.alias)
    keyed = users.exclude(email="").annotate(key=Lower("email"))
    shared = sorted(
        keyed.values("key").annotate(n=Count("pk")).filter(n__gt=1).values_list("key", flat=True)
    )
    if not shared:
        return
    holders: dict[str, list[str]] = {key: [] for key in shared[:SHOWN]}
    for key, username in (
        keyed.filter(key__in=list(holders)).order_by("username").values_list("key", "username")
    ):
        holders[key].append(username)
    named = "; ".join(f"{key}: {', '.join(names)}" for key, names in holders.items())
    if len(shared) > SHOWN:
        named += f"; and {len(shared) - SHOWN} more"
    raise CommandError(
        f"cannot make e-mail addresses unique: {len(shared)} address(es) belong to more than "
        f"one account ({named}). Nothing was changed. Give each of these accounts an "
        "address of its own (in /admin/, Authentication and Authorization > Users), then "
        "run `paperwire migrate` again."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("community", "0004_profile_pending_email"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (lower(email)) WHERE email <> ''",
            reverse_sql=f"DROP INDEX {INDEX}",
        ),
    ]
