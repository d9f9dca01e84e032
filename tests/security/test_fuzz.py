"""A small seeded fuzz over the URL walk: garbage parameters (non-numeric and huge ids, 10,000
characters, NUL bytes, right-to-left text) in queries, forms and path ids, as the manager
and as a superuser. Nothing answers 5xx. Deterministic (one seed), about 300 requests."""

import random
import re

from django.contrib.auth.models import User
from django.test import Client

SEED = 4711
REQUESTS = 300
GARBAGE = [
    "abc",
    "-1",
    "0",
    "9" * 20,
    "1e20",
    "NaN",
    "x" * 10_000,
    "a\x00b",
    "\u202eRTL\u202c",
    "<script>alert(1)</script>",
    "=HYPERLINK(1)",
    "1 OR 1=1",
    "",
]
PARAMETERS = [
    "q",
    "page",
    "p",
    "o",
    "e",
    "id",
    "pk",
    "term",
    "warehouse",
    "sku",
    "quantity",
    "status",
    "as_of",
    "limit",
    "action",
    "_selected_action",
    "index",
    "select_across",
    "created_at__year",
    "placed_at__year",
    "placed_at__month",
    "app_label",
    "model_name",
    "field_name",
    "_popup",
    "_to_field",
    "next",
]


def garbage_path(path: str, rng: random.Random) -> str:
    """Replace one number in the path (an id) by garbage, or keep the path."""
    numbers = list(re.finditer(r"/\d+(?=/)", path))
    if not numbers or rng.random() < 0.5:
        return path
    match = rng.choice(numbers)
    value = rng.choice(["abc", "9" * 20, "-1", "0", "%00"])
    return path[: match.start()] + "/" + value + path[match.end() :]


def garbage_data(rng: random.Random) -> dict:
    return {name: rng.choice(GARBAGE) for name in rng.sample(PARAMETERS, rng.randint(1, 4))}


def test_garbage_parameters_never_give_a_server_error(world, db, urls):
    rng = random.Random(SEED)
    clients = []
    for user in (world.users["manager"], User.objects.get(username="root")):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append((user, client))
    problems = []
    for _n in range(REQUESTS):
        url = rng.choice(urls)
        user, client = rng.choice(clients)
        path = garbage_path(url.path.split("?")[0], rng)
        data = garbage_data(rng)
        method = rng.choice(["get", "post"])
        if "logout" in path:
            continue
        response = getattr(client, method)(path, data)
        if response.status_code >= 500:
            shown = {k: v[:30] for k, v in data.items()}
            problems.append(f"{user} {method.upper()} {path} {shown}: {response.status_code}")
    assert not problems, "\n".join(problems)
