import pytest

from capdesk.knowledge.frontmatter import FrontMatterError, as_list, parse


def test_it_reads_keys_quoted_values_and_lists():
    doc = parse(
        '---\ntitle: "Roll back: a channel"\nproduct area: Live Updates\ntags: [rollback, channels]\n---\n\nBody\n'
    )
    assert doc.meta == {
        "title": "Roll back: a channel",
        "product_area": "Live Updates",
        "tags": ["rollback", "channels"],
    }
    assert doc.body == "Body\n"


def test_it_accepts_comma_separated_tags():
    assert as_list("a, b ,c") == ["a", "b", "c"]


@pytest.mark.parametrize(
    "text",
    ["no front matter\n", "---\ntitle: x\nbody without end\n", "---\njust words\n---\nbody\n"],
)
def test_it_refuses_a_file_without_well_formed_front_matter(text):
    with pytest.raises(FrontMatterError):
        parse(text)
