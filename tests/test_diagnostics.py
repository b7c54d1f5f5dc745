"""Shared diagnostic helpers: an endpoint's HTML error page never reaches the user as raw HTML."""

from __future__ import annotations

from runctl_iac.diagnostics import without_html

# what the local emulator (moto's werkzeug server) answers on an internal error
WERKZEUG_500 = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to "
    "complete your request. Either the server is overloaded or there is an error in the application.</p>\n"
)


def test_an_html_page_becomes_its_title() -> None:
    call = "An error occurred (500) when calling the SendCommand operation (reached max retries: 9)"
    text = f"{call}: {WERKZEUG_500}"
    assert without_html(text) == (
        "An error occurred (500) when calling the SendCommand operation (reached max retries: 9) "
        "(an HTML error page: 500 Internal Server Error)"
    )


def test_a_page_without_title_is_its_words_shortened() -> None:
    page = "<html><body><p>" + "word " * 60 + "</p></body></html>"
    shortened = without_html(page)
    assert shortened.startswith("an HTML error page: word word") and shortened.endswith(" ...")
    assert "<" not in shortened and len(shortened) < 160


def test_other_texts_are_unchanged() -> None:
    text = "NoSuchBucket: The specified bucket does not exist (a <tag> is not a page)"
    assert without_html(text) == text
