"""One small loader per way an article arrives: Markdown, plain text, HTML and pages fetched from the web.

Each loader turns text into an :class:`~index.sources.article.ArticleText`
through the shared reading rules of :mod:`index.sources.page`;
:mod:`index.articles` picks the loader by file type.
"""
