"""The one reading of HTML as text, shared by the preview (Anki's `strip_html`) and the diff."""

from __future__ import annotations

from ankigen.html_text import field_words, plain_text, strip_html


def test_anki_strips_comments_styles_scripts_and_tags() -> None:
    html = "<b>a</b>&amp;b<!-- c --><style>p{}</style><script>x()</script>&nbsp;d"
    assert strip_html(html) == "a&b d"


def test_the_diff_reads_words_block_tags_apart_and_pictures_by_name() -> None:
    html = '<p>one<b>two</b></p><div>three</div><img src="pic.png"> four&lt;'
    assert field_words(html) == ["onetwo", "three", "[image:pic.png]", "four<"]
    assert plain_text(html) == "onetwo three [image:pic.png] four<"


def test_the_diff_reads_no_words_in_styles_and_scripts_as_anki_shows_none() -> None:
    # before the two readings were one, the diff compared the text of a <style> as words
    assert field_words("<p>a</p><style>b {}</style><script>c</script>d") == ["a", "d"]
