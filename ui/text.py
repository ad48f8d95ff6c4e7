"""Text from data, files or URLs shown as text: never as a link, an image, a heading or markup.

``md`` is for everything Streamlit renders as Markdown (``st.markdown``, ``st.caption``, ``st.info``,
``st.warning``, ``st.error``, ``st.success``, labels and help); ``plain`` is for Plotly, whose titles,
tick labels, legends and hover texts read a subset of HTML (``<a href>`` among it)."""
from __future__ import annotations

import html
import re

from warehouse.safety import strip_control

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start markup
# here, Streamlit's own included (:material/icon:, :red[…], $LaTeX$).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'])")
# GitHub-flavoured Markdown turns bare URLs, www. names and e-mail addresses into links after
# escapes are resolved, so escaping cannot stop it: an invisible word joiner breaks each trigger.
_AUTOLINK = re.compile(r"(://|(?i:www)(?=\.)|@)")
WORD_JOINER = "\u2060"


def md(value) -> str:
    """``value`` as literal text inside Markdown: control and bidi characters dropped, line breaks as
    spaces, every markup character escaped (so ``[x](http://…)`` and ``![b](…)`` show as typed), and
    URL, www. and e-mail autolinks broken by an invisible word joiner."""
    text = strip_control(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = _AUTOLINK.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_lines(value) -> str:
    """``value`` as literal text inside Markdown, each of its lines kept as a line (a load error lists
    its problems one per line)."""
    return "  \n".join(md(line) for line in str(value).splitlines() if line.strip())


def plain(value) -> str:
    """``value`` as literal text inside a Plotly label (HTML escaped, control characters dropped)."""
    return html.escape(strip_control(value), quote=False)
