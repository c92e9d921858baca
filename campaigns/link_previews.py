"""What is not a scan: link previews, crawlers and fetching tools, told apart by their user
agent (docs/campaigns.md, "What is not a scan"). The header is matched and forgotten, never
stored or logged."""

# The user agents of link previews (a link pasted in a chat or a post is fetched by the
# network's server with a GET), search engine crawlers and command-line or library fetchers:
# the one list. The view matches the header against it and forgets it. Plain substrings of the
# lower-cased header, not a regular expression: an alternation of this size costs ~140 µs on a
# phone's user agent (as much as the whole redirect), these `in` tests a few µs.
# Careful: the in-app browsers of people are not here ("LinkedInApp", "FBAN"/"FBAV",
# "Instagram"), nor a bare "bot" (phone makers: "CUBOT"). An empty user agent is counted.
LINK_PREVIEW_AGENTS: tuple[str, ...] = (
    "+http",  # crawlers sign with their documentation's address; browsers never do
    "bot.htm",
    "linkedinbot",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp/",
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "twitterbot",
    "discordbot",
    "skypeuripreview",
    "googlebot",
    "google-pagerenderer",
    "googleother",
    "feedfetcher",
    "bingbot",
    "bingpreview",
    "applebot",
    "redditbot",
    "pinterest",
    "yandexbot",
    "duckduckbot",
    "baiduspider",
    "petalbot",
    "bytespider",
    "gptbot",
    "claudebot",
    "amazonbot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "embedly",
    "iframely",
    "mastodon",
    "headlesschrome",
    "lighthouse",
    "crawler",
    "spider",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "okhttp",
    "libwww-perl",
    "apache-httpclient",
    "node-fetch",
    "scrapy",
)
# Tools that put their name first: "curl/8.5.0", "Wget/1.21", "Java/17".
LINK_PREVIEW_AGENT_PREFIXES: tuple[str, ...] = ("curl/", "wget/", "java/", "axios/", "http.rb")


def user_agent_is_automated(user_agent: str) -> bool:
    """Whether a request's user agent is a link preview, a crawler or a fetching tool."""
    if not user_agent:
        return False
    agent = user_agent.lower()
    return agent.startswith(LINK_PREVIEW_AGENT_PREFIXES) or any(
        map(agent.__contains__, LINK_PREVIEW_AGENTS)
    )
