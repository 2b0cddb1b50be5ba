"""The platform webhooks' pure part: Fitbit's signature, checked against the test vector Fitbit documents."""

from __future__ import annotations

from app.web.webhooks.platforms import fitbit_signature


def test_the_fitbit_signature_test_vector():
    body = b'[{"collectionType":"activities","date":"2010-03-01","ownerId":"184X36","ownerType":"user","subscriptionId":"2345"}]'
    assert fitbit_signature(body, "csecret") == "kiPG5GbxQHBn5fcFefpVqOLsobk="
