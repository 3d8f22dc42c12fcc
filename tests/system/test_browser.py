"""The desk page in a real headless Chromium against a real `factdesk serve` process.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without them the tests are skipped
on a developer's machine, and fail in CI (CI=true), so that CI never passes without having run them.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from serving import launch, stop

from factdesk.service.keys import create_key

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CLAIM = "M23 rebels have captured Goma"
SEED_STATEMENT = "Meanwhile, M23 rebels have captured Goma, the capital of North Kivu"
# checked against the seed article: not check-worthy, supported, refuted, not enough evidence
DRAFT = (
    "Kagame spoke to reporters. M23 rebels have captured Goma, the capital of North Kivu. "
    "Nobody was injured when two bombs landed in Mbugangari, Rubavu District. "
    "France sent 3,000 soldiers to Goma on Tuesday."
)
WAIT_S = 120  # a check on 2 shared CPU cores, the first one warming the models up

pytestmark = pytest.mark.slow

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError(f"CI must run the browser tests: install chromium and chromium-driver ({CHROMIUM})")
    pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)  # fmt: skip

from selenium import webdriver  # noqa: E402 (only where a browser exists)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = launch(tmp_path_factory.mktemp("desk"))
    yield url
    stop(process)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A server that requires keys (cue stance: the model adds nothing to what these tests look at)."""
    root = tmp_path_factory.mktemp("keyed")
    check_key, _ = create_key(root / "keys.json", ["check"], name="reader")
    full_key, _ = create_key(root / "keys.json", ["check", "ingest"], name="editor")
    process, url = launch(root / "data", "--stance", "cues", extra=["--keys-file", str(root / "keys.json")])
    yield url, check_key, full_key
    stop(process)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1400"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, condition: Callable[[WebDriver], object], timeout: float = WAIT_S) -> object:
    return WebDriverWait(driver, timeout).until(condition)


def shown(driver: WebDriver, element_id: str) -> WebElement:
    """The element, once it is displayed (the page shows forms after asking the server what the key may do)."""
    wait(driver, lambda d: d.find_element(By.ID, element_id).is_displayed())
    return driver.find_element(By.ID, element_id)


def verdict(driver: WebDriver) -> WebElement:
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .verdict, #results .error"))
    errors = driver.find_elements(By.CSS_SELECTOR, "#results .error")
    assert not errors, errors[0].text
    return driver.find_element(By.CSS_SELECTOR, "#results .verdict")


def console_errors(driver: WebDriver) -> list[str]:
    """Errors the page logged: a script the CSP blocked, an exception, a failed fetch."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_an_undecided_verdict_reads_as_what_it_leans_to(server: str, browser: WebDriver) -> None:
    claims = [
        "Goma is the capital of South Kivu",
        "Schools in Rubavu were closed",
        "The bombs landed in Goma",
        "Kenya's president called for an emergency regional summit",
        "Fighting in eastern Congo has eased",
    ]
    answers = [httpx.post(f"{server}/v1/check", json={"claim": c}).json() for c in claims]
    undecided = [a for a in answers if a["verdict"] == "not_enough_evidence" and a.get("leaning")]
    assert undecided, [(a["claim"], a["verdict"]) for a in answers]
    answer = undecided[0]
    browser.get(f"{server}/?claim={quote(answer['claim'])}")
    shown = verdict(browser)
    assert shown.get_attribute("data-verdict") == "not_enough_evidence"
    leaning = {"supported": "supported", "refuted": "refuted", "conflicting": "conflicting evidence"}[answer["leaning"]]
    assert f"leans {leaning}, {answer['probabilities'][answer['leaning']]:.2f}" in shown.text
    assert "confidence" not in shown.text
    browser.get(f"{server}/?claim={quote('The Eiffel Tower is in Paris')}")
    assert "nothing leans either way" in verdict(browser).text
    assert not console_errors(browser)


def test_page_is_one_strict_origin(server: str) -> None:
    r = httpx.get(f"{server}/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe" not in policy
    assert "<script>" not in r.text and "<style" not in r.text and not re.search(r"\son\w+=", r.text)  # no inline code
    assert not re.search(r'(src|href)="(https?:)?//', r.text)  # nothing from another origin
    for asset in ("desk.js", "desk.css", "icon.svg"):
        assert httpx.get(f"{server}/static/desk/{asset}").status_code == 200


def test_claim_link_shows_the_verdict_and_the_seed_statement(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/?claim={quote(CLAIM)}")
    shown = verdict(browser)
    assert shown.get_attribute("data-verdict") == "supported"
    assert "Supported" in shown.text and "confidence" in shown.text
    first = browser.find_element(By.CSS_SELECTOR, "#results li.evidence")
    assert first.get_attribute("data-stance") == "supports"
    assert SEED_STATEMENT in first.find_element(By.CSS_SELECTOR, ".statement").text
    assert "undated" in first.text and "publisher unknown" in first.text  # the seed has neither
    assert browser.find_element(By.ID, "claim").get_attribute("value") == CLAIM
    assert not console_errors(browser)
    # the README's picture is taken on request (`make screenshot`), so a test run leaves the checkout as it was
    if shot := os.environ.get("FACTDESK_SCREENSHOT"):
        browser.save_screenshot(shot)


def test_cue_spans_are_marked_in_claim_and_statement(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/?claim={quote('Nobody was injured in Rubavu')}")
    assert verdict(browser).get_attribute("data-verdict") == "refuted"
    assert "Nobody" in [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results .claim mark")]
    browser.get(f"{server}/?claim={quote('France sent 3,000 soldiers to Goma on Tuesday')}")
    verdict(browser)
    marks = browser.find_elements(By.CSS_SELECTOR, "#results .statement mark")
    assert "dozens of FARDC" in [m.text for m in marks]
    assert "3,000 soldiers" in [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#results .claim mark")]


def test_the_reading_of_a_restated_claim_is_shown(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/?claim={quote('The fighting around Goma has eased')}")
    assert verdict(browser).get_attribute("data-verdict") == "refuted"
    first = browser.find_element(By.CSS_SELECTOR, "#results li.evidence")
    assert first.get_attribute("data-stance") == "conflicts"
    assert first.find_element(By.CSS_SELECTOR, ".reading").text == "Read as: The fighting around Goma has escalated"
    assert not console_errors(browser)


def test_search_link(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/?q={quote('bombs in Rubavu')}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    hits = browser.find_elements(By.CSS_SELECTOR, "#results .hit .statement")
    assert "at least two bombs landed in Mbugangari" in hits[0].text
    assert browser.find_element(By.ID, "q").get_attribute("value") == "bombs in Rubavu"
    assert not console_errors(browser)


def test_draft_sentences_are_highlighted_by_verdict(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/")
    box = browser.find_element(By.ID, "claim")
    box.send_keys(DRAFT)
    browser.find_element(By.ID, "draft-button").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .draft .sentence"))
    sentences = browser.find_elements(By.CSS_SELECTOR, "#results .draft .sentence")
    assert [s.get_attribute("data-verdict") for s in sentences] == [
        "not_checkworthy",
        "supported",
        "refuted",
        "not_enough_evidence",
    ]
    assert browser.find_element(By.CSS_SELECTOR, "#results .draft").get_attribute("textContent") == DRAFT
    legend = browser.find_element(By.CSS_SELECTOR, "#results .legend").text
    assert all(word in legend for word in ("Supported", "Refuted", "Not enough evidence", "Not check-worthy"))
    sentences[2].click()
    detail = browser.find_element(By.ID, "draft-detail")
    assert "Refuted" in detail.find_element(By.CSS_SELECTOR, ".verdict").text
    assert "injuring about 15 civilians" in detail.text
    assert sentences[2].get_attribute("aria-expanded") == "true"
    assert "claim=" in browser.current_url  # the draft is a link too
    assert not console_errors(browser)


def test_add_an_article_then_find_it(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/")
    form = shown(browser, "article-form")
    form.find_element(By.ID, "article-text").send_keys(
        "The bridge at Kanyaruchinya collapsed on Tuesday after heavy rain. Nobody was hurt, the mayor said."
    )
    form.find_element(By.ID, "article-publisher").send_keys("Example News")
    # a date input's typed form follows the browser's locale; its value is always ISO
    browser.execute_script("arguments[0].value = '2025-01-28'", form.find_element(By.ID, "article-date"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, lambda d: "statements" in d.find_element(By.ID, "article-result").text)
    assert "created" in browser.find_element(By.ID, "article-result").text
    query = browser.find_element(By.ID, "q")
    query.send_keys("Kanyaruchinya bridge collapsed", Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    top = browser.find_element(By.CSS_SELECTOR, "#results .hit")
    assert "The bridge at Kanyaruchinya collapsed on Tuesday" in top.text
    assert "Example News" in top.text and "2025-01-28" in top.text
    assert "q=Kanyaruchinya" in browser.current_url


def test_a_url_the_server_cannot_use_is_shown_as_its_problem(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/")
    form = shown(browser, "article-form")
    form.find_element(By.ID, "article-url").send_keys("http://127.0.0.1:9/nothing-here")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # the server's problem (a 422 when the address cannot be fetched or read), shown as an error
    wait(browser, lambda d: re.match(r"4\d\d ", d.find_element(By.ID, "article-result").text))
    assert "error" in browser.find_element(By.ID, "article-result").get_attribute("class")
    assert browser.find_element(By.ID, "article-url").get_attribute("value")  # kept, to be corrected


def test_article_text_is_shown_as_text(server: str, browser: WebDriver) -> None:
    hostile = (
        'The mayor of Rutshuru said <img src=x onerror="window.pwned=1"> that the road '
        "<script>window.pwned=2</script> to Goma reopened on Friday."
    )
    r = httpx.post(
        f"{server}/v1/articles", json={"text": hostile, "title": "<b>bold</b>", "url": "javascript:alert(1)"}
    )
    assert r.status_code == 201, r.text
    browser.get(f"{server}/?q={quote('mayor of Rutshuru road reopened')}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    top = browser.find_element(By.CSS_SELECTOR, "#results .hit")
    assert "<img src=x" in top.text or "<script>" in top.text
    assert "<b>bold</b>" in top.text
    results = browser.find_element(By.ID, "results")
    assert not results.find_elements(By.CSS_SELECTOR, "img, script, b, a[href^='javascript']")
    assert browser.execute_script("return window.pwned === undefined")


def test_keyboard_only(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/")
    shown(browser, "article-form")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "claim"  # the first control, with its label
    label = browser.find_element(By.CSS_SELECTOR, "label[for=claim]")
    assert label.text
    focused.send_keys(CLAIM, Keys.ENTER)
    assert verdict(browser).get_attribute("data-verdict") == "supported"
    # on to the search field by Tab alone: Check, Check whole draft, then the query
    for _ in range(3):
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    browser.switch_to.active_element.send_keys("Rubavu", Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
    # every control has a label
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input, textarea')].filter(e => !e.labels.length).map(e => e.id)"
    )
    assert unlabelled == []


def test_a_sentence_not_check_worthy_is_checked_anyway_on_demand(server: str, browser: WebDriver) -> None:
    draft = "I think the peace talks are our last hope. M23 rebels have captured Goma, the capital of North Kivu."
    browser.get(f"{server}/?claim={quote(draft)}")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .draft .sentence[data-verdict]"))
    opinion = browser.find_element(By.CSS_SELECTOR, "#results .draft .sentence[data-verdict=not_checkworthy]")
    assert opinion.text.startswith("I think") and "check anyway" in opinion.get_attribute("title")
    browser.execute_script("arguments[0].focus()", opinion)
    browser.switch_to.active_element.send_keys(Keys.ENTER)  # one key
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#draft-detail .verdict"))
    assert opinion.get_attribute("data-verdict") != "not_checkworthy"
    assert opinion.get_attribute("aria-expanded") == "true"
    assert "Claim:" in browser.find_element(By.ID, "draft-detail").text
    assert not console_errors(browser)


def test_keyboard_opens_a_draft_sentence(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/?claim={quote(DRAFT)}")
    checked = "#results .draft .sentence[data-verdict=supported]"
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, checked))
    first = browser.find_element(By.CSS_SELECTOR, checked)
    browser.execute_script("arguments[0].focus()", first)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert "Supported" in browser.find_element(By.ID, "draft-detail").text


def test_keys_on_asks_for_a_key_and_keeps_it_out_of_the_url(keyed: tuple[str, str, str], browser: WebDriver) -> None:
    url, check_key, full_key = keyed
    browser.get(f"{url}/?claim={quote(CLAIM)}")
    field = shown(browser, "key")
    assert field.get_attribute("type") == "password"
    field.send_keys(check_key, Keys.ENTER)
    assert verdict(browser).get_attribute("data-verdict")  # the pending check ran with the key
    assert browser.execute_script("return sessionStorage.getItem('factdesk.key')") == check_key
    assert check_key not in browser.current_url and "claim=" in browser.current_url
    assert not browser.find_element(By.ID, "article-form").is_displayed()  # a check-only key cannot ingest
    assert "reader" in browser.find_element(By.ID, "key-who").text
    browser.refresh()  # the key survives a reload of the tab
    verdict(browser)
    assert not browser.find_element(By.ID, "key-form").is_displayed()
    browser.find_element(By.ID, "key-forget").click()
    shown(browser, "key")
    browser.find_element(By.ID, "key").send_keys(full_key, Keys.ENTER)
    shown(browser, "article-form")
    assert full_key not in browser.current_url


def test_a_wrong_key_is_asked_again(keyed: tuple[str, str, str], browser: WebDriver) -> None:
    url, _, _ = keyed
    browser.get(f"{url}/")
    field = shown(browser, "key")
    field.send_keys("fdk_not-a-key", Keys.ENTER)
    wait(browser, lambda d: "not valid" in d.find_element(By.ID, "key-why").text)
    assert browser.find_element(By.ID, "key").is_displayed()
