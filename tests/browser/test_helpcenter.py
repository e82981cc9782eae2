"""The help center in a real browser, at desktop and phone widths: write and publish, then read, vote and deflect."""

import re

import pytest
from playwright.sync_api import expect

from frontoffice.helpcenter.models import Article, ArticleDeflection
from frontoffice.helpcenter.tests.factories import CategoryFactory, make_article
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_writes_previews_and_publishes_an_article(page, live_server, make_staff, password):
    agent = make_staff("Customer Service", full_name="Sara Support")
    CategoryFactory(name="Invoices and payment", slug="billing", icon="receipt")
    sign_in(page, live_server, agent.email, password)
    page.wait_for_url(f"{live_server.url}/app/")

    page.goto(f"{live_server.url}/app/help/articles/")
    expect(page.get_by_text("No help articles yet")).to_be_visible()
    page.get_by_role("link", name="New article").first.click()
    page.wait_for_url(f"{live_server.url}/app/help/articles/new/")  # "load": htmx now listens to the text box
    page.get_by_label("Title").fill("Change your invoice address")
    page.get_by_label("Category").select_option(label="Invoices and payment")
    page.get_by_label("Text").fill("Send us a **request** with:\n\n- your organization number\n- the new address")
    preview = page.locator("#article-preview")
    preview.locator("strong", has_text="request").wait_for()  # the live preview, as it is typed
    assert preview.locator("li").count() == 2
    screenshot(page, "helpcenter-editor")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/app/help/articles/\d+/$"))
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("customers can read Change your invoice address now")).to_be_visible()
    screenshot(page, "helpcenter-article")
    assert Article.objects.get().status == "published"


def test_visitor_searches_reads_votes_and_deflects_a_request(page, live_server):
    billing = CategoryFactory(name="Invoices and payment", slug="billing", icon="receipt")
    make_article(title="Understand your invoice", body="The **due date** is printed on it.", category=billing)
    make_article(title="Reset your password", body="Click *Forgot your password?*", category=CategoryFactory())
    make_article(title="Så läser du din faktura", body="Förfallodagen står på den.", language="sv", category=billing)

    page.goto(f"{live_server.url}/portal/help/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    screenshot(page, "helpcenter-portal-index")
    page.get_by_label("Search the help center").fill("invoices")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*/portal/help/search/\?q=invoices.*"))
    results = page.locator("#results")
    results.get_by_role("link", name="Understand your invoice").wait_for()
    page.get_by_label("Search the help center").fill("fakturor")  # searches again as the visitor types
    results.get_by_role("link", name="Så läser du din faktura").wait_for()
    screenshot(page, "helpcenter-portal-search")
    results.get_by_role("link", name="Så läser du din faktura").click()

    page.wait_for_url(re.compile(r".*/portal/help/sa-laser-du-din-faktura/$"))
    page.get_by_role("button", name="Yes").click()
    page.get_by_text("Thank you for your feedback!").wait_for()  # htmx replaced the box, no reload
    screenshot(page, "helpcenter-portal-article")
    assert Article.objects.get(slug="sa-laser-du-din-faktura").helpful_count == 1

    # A ticket form elsewhere on the portal only needs an input and a target; the partial brings the rest.
    page.goto(f"{live_server.url}/portal/help/")
    page.evaluate(
        """() => {
          document.querySelector('main').insertAdjacentHTML('afterbegin',
            '<label for="subject">Subject</label><input id="subject" name="subject" ' +
            'hx-get="/portal/help/suggest/" hx-trigger="input changed delay:200ms" hx-target="#suggestions">' +
            '<div id="suggestions"></div>');
          htmx.process(document.querySelector('main'));
        }"""
    )
    page.get_by_label("Subject").press_sequentially("I forgot my passw")
    suggestions = page.locator("#suggestions")
    suggestions.get_by_role("link", name=re.compile("Reset your password")).wait_for()
    screenshot(page, "helpcenter-portal-suggestions")
    suggestions.get_by_role("button", name="This solved my problem").click()
    suggestions.get_by_text("Glad that helped!").wait_for()
    deflection = ArticleDeflection.objects.get()
    assert (deflection.article.title, deflection.query) == ("Reset your password", "I forgot my passw")
