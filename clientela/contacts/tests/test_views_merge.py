"""View tests for duplicates, the merge screen and its undo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.models import Contact, Merge
from clientela.contacts.tests.factories import contact_allowing_email_twin
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(personas):
    """Two contacts of the rep that are the same person."""
    a = services.create_contact(
        actor=personas.rep,
        data={
            "first_name": "Carlos",
            "email": "carlos@example.co",
            "city": "Cali",
            "tags": ["Feria"],
        },
    )
    b = contact_allowing_email_twin(
        personas.rep, first_name="Carlos", last_name="Pérez", email="carlos@example.co",
        city="Pereira", phone="3001112233", tags=["VIP"],
    )  # fmt: skip
    return a, b


def merge_url(a, b=None):
    """The merge screen for one or two contacts."""
    query = f"?a={a.pk}" + (f"&b={b.pk}" if b else "")
    return reverse("contacts:merge") + query


def test_it_compares_two_contacts_side_by_side(client, personas, pair):
    a, b = pair
    body = client_for(client, personas.rep).get(merge_url(a, b)).content.decode()
    assert 'name="keep_city" value="a" checked' in body  # both filled: this record's value
    assert 'name="keep_last_name" value="b" checked' in body  # only b has it: b's value
    assert "Pérez" in body and "Pereira" in body and "+57 300 1112233" in body
    assert 'name="keep_email"' not in body  # identical fields need no choice


def test_it_merges_through_the_screen_and_undoes_it(client, personas, pair):
    a, b = pair
    c = client_for(client, personas.rep)
    response = c.post(
        reverse("contacts:merge"),
        {"a": a.pk, "b": b.pk, "survivor": "a", "keep_city": "b", "keep_last_name": "b", "keep_phone": "b"},
    )  # fmt: skip
    merge = Merge.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("contacts:contact_detail", args=[a.pk]) + f"?merged={merge.pk}"
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.city, a.last_name, a.phone) == ("Pereira", "Pérez", "+573001112233")
    assert b.deleted_at is not None and b.merged_into_id == a.pk
    assert sorted(a.tags.values_list("name", flat=True)) == ["Feria", "VIP"]
    card = c.get(response["Location"]).content.decode()
    undo_url = reverse("contacts:merge_undo", args=[a.pk, merge.pk])
    assert "The contacts were merged" in card
    assert card.count(undo_url) == 2  # the banner and the timeline entry
    assert "merged “Carlos Pérez” into this contact" in card
    undo = c.post(undo_url)
    assert undo.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.city == "Cali" and b.deleted_at is None
    card = c.get(reverse("contacts:contact_detail", args=[a.pk])).content.decode()
    assert undo_url not in card
    assert "undid a merge" in card
    again = c.post(undo_url)
    assert again.status_code == 404


def test_it_lets_the_other_record_survive(client, personas, pair):
    a, b = pair
    client_for(client, personas.rep).post(
        reverse("contacts:merge"), {"a": a.pk, "b": b.pk, "survivor": "b", "keep_city": "a"}
    )
    b.refresh_from_db()
    a.refresh_from_db()
    assert a.merged_into_id == b.pk
    assert b.city == "Cali"
    assert b.last_name == "Pérez"  # kept: b's own value by default


def test_it_refuses_merging_to_roles_without_the_right(client, personas, pair):
    a, b = pair
    for persona in ("marketer", "colleague"):
        c = client_for(client, getattr(personas, persona))
        assert c.get(merge_url(a, b)).status_code == 403
        assert (
            c.post(reverse("contacts:merge"), {"a": a.pk, "b": b.pk, "survivor": "a"}).status_code
            == 403
        )
    assert not Merge.objects.exists()


@pytest.mark.parametrize("persona", ["rep2", "outsider"])
def test_it_hides_the_merge_screen_for_contacts_out_of_scope(client, personas, pair, persona):
    a, b = pair
    c = client_for(client, getattr(personas, persona))
    assert c.get(merge_url(a, b)).status_code == 404
    assert (
        c.post(reverse("contacts:merge"), {"a": a.pk, "b": b.pk, "survivor": "a"}).status_code
        == 404
    )
    mine = services.create_contact(actor=getattr(personas, persona), data={"first_name": "Mío"})
    # Mixing a visible contact with an invisible one is a 404 too.
    assert c.get(merge_url(mine, a)).status_code == 404
    assert not Merge.objects.exists()


def test_it_refuses_undo_to_others(client, personas, pair):
    a, b = pair
    merge = services.merge_contacts(a, b, actor=personas.manager)
    url = reverse("contacts:merge_undo", args=[a.pk, merge.pk])
    assert client_for(client, personas.rep2).post(url).status_code == 404
    assert client_for(client, personas.colleague).post(url).status_code == 403
    assert client_for(client, personas.marketer).post(url).status_code == 403
    merge.refresh_from_db()
    assert merge.undone_at is None
    # A merge id that belongs to another contact is not found through this one.
    other = services.create_contact(actor=personas.rep, data={"first_name": "Otro"})
    assert (
        client_for(client, personas.rep)
        .post(reverse("contacts:merge_undo", args=[other.pk, merge.pk]))
        .status_code
        == 404
    )


def test_it_picks_the_second_contact_by_search(client, personas, pair):
    a, b = pair
    c = client_for(client, personas.rep)
    body = c.get(reverse("contacts:merge"), {"a": a.pk, "q": "perez"}).content.decode()
    assert merge_url(a, b).replace("&", "&amp;") in body
    same = c.get(merge_url(a, a)).content.decode()
    assert "Choose two different contacts." in same


def test_it_lists_duplicate_groups_with_merge_links(
    client, personas, pair, django_assert_max_num_queries
):
    a, b = pair
    services.create_contact(actor=personas.rep, data={"first_name": "Eva", "phone": "3001112233"})
    for i in range(10):
        services.create_contact(
            actor=personas.rep, data={"first_name": f"Gemelo{i}", "email": f"g{i}@example.co"}
        )
        contact_allowing_email_twin(personas.rep, first_name=f"Gemela{i}", email=f"g{i}@example.co")
    c = client_for(client, personas.rep)
    with django_assert_max_num_queries(10):
        response = c.get(reverse("contacts:duplicates"))
    body = response.content.decode()
    assert "carlos@example.co" in body and "+57 300 1112233" in body
    assert merge_url(a, b).replace("&", "&amp;") in body
    assert "Gemela9" in body
    # Other reps do not see these groups.
    other = client_for(client, personas.rep2).get(reverse("contacts:duplicates")).content.decode()
    assert "carlos@example.co" not in other
    assert "No duplicates found" in other


def test_it_shows_possible_duplicates_on_the_card(client, personas, pair):
    a, b = pair
    body = (
        client_for(client, personas.rep)
        .get(reverse("contacts:contact_detail", args=[a.pk]))
        .content.decode()
    )
    assert "Possible duplicates" in body
    assert merge_url(a, b).replace("&", "&amp;") in body
    marketer = client_for(client, personas.marketer).get(
        reverse("contacts:contact_detail", args=[a.pk])
    )
    assert reverse("contacts:merge") not in marketer.content.decode()


def test_it_restores_from_trash_only_unmerged_contacts(client, personas, pair):
    a, b = pair
    services.merge_contacts(a, b, actor=personas.manager)
    c = client_for(client, personas.manager)
    trash = c.get(reverse("contacts:trash")).content.decode()
    assert "Merged into" in trash
    assert reverse("contacts:contact_restore", args=[b.pk]) not in trash
    response = c.post(reverse("contacts:contact_restore", args=[b.pk]), follow=True)
    assert "undo the merge instead" in response.content.decode()
    assert Contact.objects.get(pk=b.pk).deleted_at is not None


def test_it_defaults_every_choice_to_the_surviving_record(client, personas, pair):
    a, b = pair
    body = client_for(client, personas.rep).get(merge_url(a, b) + "&survivor=b").content.decode()
    assert 'name="keep_city" value="b" checked' in body
    assert 'name="keep_last_name" value="b" checked' in body
    assert 'data-empty-a="1"' in body  # a has no last name: the script keeps b's


def test_it_empties_a_field_when_the_other_empty_value_is_chosen(client, personas, pair):
    a, b = pair
    client_for(client, personas.rep).post(
        reverse("contacts:merge"),
        {"a": a.pk, "b": b.pk, "survivor": "b", "keep_last_name": "a", "keep_phone": "a"},
    )
    b.refresh_from_db()
    assert b.last_name == ""
    assert b.phone == ""


def test_it_hides_the_merge_choices_from_others(client, personas, pair):
    a, b = pair
    response = client_for(client, personas.rep2).get(merge_url(a, b) + "&survivor=b")
    assert response.status_code == 404
