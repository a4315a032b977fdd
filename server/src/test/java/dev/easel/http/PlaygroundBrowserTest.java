package dev.easel.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.easel.TestServer;
import dev.easel.engine.png.PngEncoder;
import dev.easel.styles.SafetensorsWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The playground in a real headless Chromium (Debian's chromium and chromium-driver; Selenium is
 * pointed at them and downloads nothing), against a real server: a person pastes a key, generates,
 * watches the statuses and the preview, finds the image in the gallery, re-runs it with its seed and
 * gets the same bytes; errors appear beside their fields or explained. Screenshots go to
 * target/playground/ for a person to look at.
 */
class PlaygroundBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target/playground");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestServer server;
    private ChromeDriver browser;

    @BeforeAll
    static void needsChromium() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (!present && System.getenv("CI") != null) fail("CI must run the browser test: install chromium and chromium-driver (.ci/run does)");
        assumeTrue(present, "the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
    }

    @AfterEach
    void stop() {
        if (browser != null) browser.quit();
        if (server != null) server.close();
    }

    /** A headless Chromium whose page is {@code width} x {@code height} CSS pixels (a phone's with touch). */
    private ChromeDriver open(int width, int height) {
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--hide-scrollbars",
                "--window-size=" + width + "," + height);
        browser = new ChromeDriver(service, options);
        browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", width < 500));
        return browser;
    }

    private WebElement $(String css) {
        return browser.findElement(By.cssSelector(css));
    }

    private String text(String css) {
        return $(css).getText();
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private void awaitPage(String what, java.util.function.BooleanSupplier done) {
        TestServer.await(what, WAIT, () -> {
            try {
                return done.getAsBoolean();
            } catch (org.openqa.selenium.NoSuchElementException | org.openqa.selenium.StaleElementReferenceException e) {
                return false;
            }
        });
    }

    /** Saves what the screen shows with {@code css} at its top. */
    private void screenshot(String name, String css) throws IOException {
        js("arguments[0].scrollIntoView({block: 'start'})", $(css));
        Files.createDirectories(SHOTS);
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private void pasteKey(String key) {
        awaitPage("the key form", () -> $("#api-key").isDisplayed());
        $("#api-key").sendKeys(key);
        $("#key-form button[type=submit]").click();
        awaitPage("the app, after the key", () -> $("#app").isDisplayed() && !text("#balance").equals("…"));
    }

    private void choose(String selectCss, String value) {
        $(selectCss + " option[value='" + value + "']").click();
    }

    private byte[] download(String url) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private String currentJob() {
        return $("#current").getDomAttribute("data-job-id");
    }

    private void awaitCurrent(String jobId, String status) {
        awaitPage("job " + jobId + " " + status + " on the page (" + jobId + ")",
                () -> jobId.equals(currentJob()) && status.equals($("#current").getDomAttribute("data-status")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"desktop, 1280, 900", "phone, 390, 844"})
    void aPersonGeneratesWatchesFindsAndReRunsAnImage(String name, int width, int height) throws Exception {
        server = TestServer.start(1, 120, Clock.systemUTC());
        String key = server.account("1", 2, 5);
        open(width, height).get(server.base + "/");
        pasteKey(key);
        assertThat(text("#balance")).isEqualTo("$1.00");
        assertThat(js("return window.innerWidth")).isEqualTo((long) width);

        // the API's 400 names the field: the page puts it beside the prompt
        $("#prompt").sendKeys("   ");
        $("#generate").click();
        awaitPage("the prompt's error", () -> !text("#err-prompt").isEmpty());
        assertThat(text("#err-prompt")).startsWith("prompt must contain a non-whitespace character");
        assertThat($("#prompt").getDomAttribute("aria-invalid")).isEqualTo("true");
        assertThat(text("#form-error")).isEmpty();
        screenshot(name + "-validation-error", "#create-title");

        // limits, enums and prices come from /openapi.json
        assertThat(browser.findElements(By.cssSelector("#aspect_ratio option"))).extracting(WebElement::getText)
                .containsExactly("1:1", "4:3", "3:2", "16:9", "2.35:1", "4:5", "2:3", "9:16");
        assertThat($("#intensity").getDomProperty("min")).isEqualTo("-100");
        assertThat(text("#price")).isEqualTo("$0.03");

        $("#prompt").clear();
        $("#prompt").sendKeys("a lighthouse in a storm");
        choose("#aspect_ratio", "16:9");
        choose("#creativity", "medium");
        choose("#style-picker", "ink");
        $("#add-style").click();
        assertThat(text("#styles-list")).contains("Ink");
        $("#generate").click();
        awaitPage("a job on the page", () -> currentJob() != null);
        String first = currentJob();
        awaitCurrent(first, "completed");
        List<String> trail = browser.findElements(By.cssSelector("#status-trail li")).stream().map(WebElement::getText).toList();
        assertThat(trail).as("the statuses the page showed").contains("sampling", "intermediate-complete", "completed");
        assertThat($("#current").getDomAttribute("data-preview-shown")).as("the preview appeared").isEqualTo("true");
        String firstUrl = $("#result").getDomProperty("src");
        awaitPage("the result image loaded", () -> ((Number) js("return document.getElementById('result').naturalWidth")).intValue() > 0);
        assertThat(((Number) js("return document.getElementById('result').naturalWidth")).intValue()).isEqualTo(1376);
        assertThat(text("#result-meta")).contains("1376×768", "a lighthouse in a storm", "(expanded by the built-in expander)");
        assertThat(text("#balance")).isEqualTo("$0.97");
        screenshot(name + "-result", "#current");

        // the gallery has it; open it and re-run it with its seed
        String card = "#gallery [data-job-id='" + first + "']";
        awaitPage("the job's card, completed", () -> "completed".equals($(card).getDomAttribute("data-status")));
        $(card).click();
        awaitPage("the job's details", () -> $("#detail").isDisplayed() && text("#detail-params").contains("a lighthouse in a storm"));
        String seed = server.get(key, "/jobs/" + first).json().at("/result/seed").asText();
        assertThat(text("#detail-params")).contains(seed, "16:9", "medium", "ink 1");
        $("#rerun").click();
        awaitPage("a second job", () -> currentJob() != null && !currentJob().equals(first));
        String second = currentJob();
        awaitCurrent(second, "completed");
        assertThat($("#seed").getDomProperty("value")).as("the form holds the re-run's request").isEqualTo(seed);
        String secondUrl = $("#result").getDomProperty("src");
        assertThat(secondUrl).isNotEqualTo(firstUrl);
        assertThat(dev.easel.crypto.Tokens.sha256Hex(download(secondUrl))).as("the same seed and request give the same bytes")
                .isEqualTo(dev.easel.crypto.Tokens.sha256Hex(download(firstUrl)));
        assertThat(browser.findElements(By.cssSelector("#gallery .card"))).hasSize(2);
        screenshot(name + "-gallery", "#gallery-title");

        // a finished job is deleted, after the page asks once
        $(card).click();
        awaitPage("the first job's details", () -> first.equals($("#detail").getDomAttribute("data-job-id")) && $("#detail-delete").isDisplayed());
        $("#detail-delete").click();
        assertThat(text("#detail-delete")).as("asks first").contains("Press again");
        assertThat(server.get(key, "/jobs/" + first).status()).isEqualTo(200);
        $("#detail-delete").click();
        awaitPage("the card gone", () -> browser.findElements(By.cssSelector(card)).isEmpty());
        assertThat(server.get(key, "/jobs/" + first).status()).isEqualTo(404);

        assertThat(((Number) js("return document.documentElement.scrollWidth")).intValue())
                .as("nothing wider than the screen").isLessThanOrEqualTo(width);

        // the key stays until forgotten
        browser.navigate().refresh();
        awaitPage("the app, with the stored key", () -> $("#app").isDisplayed());
        $("#forget-key").click();
        assertThat($("#key-panel").isDisplayed()).isTrue();
        assertThat(js("return localStorage.getItem('easel.apiKey')")).isNull();
    }

    /** 429 and 402 are explained in a sentence with what to do; a pending job is cancelled and a finished one deleted from the page. */
    @Test
    void limitsAndMoneyAreExplainedAndJobsCancelledOrDeleted() throws Exception {
        server = TestServer.start(0, 0, Clock.systemUTC());
        String busy = server.account("1", 1, 0), poor = server.account("0", 2, 5);
        open(1280, 900).get(server.base + "/");
        pasteKey(busy);
        $("#prompt").sendKeys("a quiet harbour");
        $("#prompt").sendKeys(Keys.CONTROL, Keys.ENTER); // the keyboard alone generates
        awaitPage("the first job, queued", () -> currentJob() != null && "queued".equals($("#current").getDomAttribute("data-status")));
        String queued = currentJob();
        $("#generate").click();
        awaitPage("the 429 explained", () -> !text("#form-error").isEmpty());
        assertThat(text("#form-error")).startsWith("Your account already runs as many jobs as it may: wait")
                .contains("or cancel one in Recent jobs, then generate again.");
        screenshot("desktop-429", "#price");

        $("#cancel").click();
        awaitCurrent(queued, "cancelled");
        assertThat(server.get(busy, "/jobs/" + queued).json().get("status").asText()).isEqualTo("cancelled");
        String card = "#gallery [data-job-id='" + queued + "']";
        awaitPage("the card, cancelled", () -> "cancelled".equals($(card).getDomAttribute("data-status")));
        $(card).click();
        awaitPage("the details", () -> $("#detail").isDisplayed());
        assertThat($("#detail-delete").isDisplayed()).as("a retried cancel must not delete it").isFalse();
        assertThat(text("#detail-kept")).startsWith("A cancelled job is kept for 24 hours");

        $("#forget-key").click();
        pasteKey(poor);
        $("#prompt").sendKeys("a quiet harbour");
        $("#generate").click();
        awaitPage("the 402 explained", () -> !text("#form-error").isEmpty());
        assertThat(text("#form-error")).startsWith("Your account has not enough credits for this request: ask the operator to add some");
    }

    /** Uploads from the page: an image, a moodboard of it (the price follows), a LoRA style (the picker lists it). */
    @Test
    void theLibraryIsFilledFromThePage() throws Exception {
        server = TestServer.start(0, 0, Clock.systemUTC());
        String key = server.account("1", 2, 5);
        Path dir = Files.createTempDirectory("easel-playground-");
        Path image = dir.resolve("red.png"), lora = dir.resolve("ink.safetensors");
        byte[] rgb = new byte[16 * 16 * 3];
        for (int i = 0; i < rgb.length; i += 3) rgb[i] = (byte) 220;
        Files.write(image, PngEncoder.encode(16, 16, rgb, Map.of()));
        Files.write(lora, new SafetensorsWriter().kohyaLayer("lora_unet_a", 4, 16, 16).bytes());
        try {
            open(1280, 900).get(server.base + "/");
            pasteKey(key);

            $("#asset-form").findElement(By.xpath("./ancestor::details/summary")).click();
            $("#asset-file").sendKeys(image.toString());
            $("#asset-description").sendKeys("a red square");
            $("#asset-form button[type=submit]").click();
            awaitPage("the asset uploaded", () -> text("#asset-message").startsWith("Uploaded"));
            assertThat(text("#asset-message")).isEqualTo("Uploaded: 16×16 image/png. It can now go into a moodboard.");

            $("#moodboard-form").findElement(By.xpath("./ancestor::details/summary")).click();
            $("#moodboard-title").sendKeys("Reds");
            $("#moodboard-assets input[type=checkbox]").click();
            $("#moodboard-form button[type=submit]").click();
            awaitPage("the moodboard created", () -> text("#moodboard-message").startsWith("Created"));
            String boardId = server.get(key, "/moodboards").json().at("/items/0/id").asText();
            choose("#moodboard", boardId);
            assertThat(text("#price")).isEqualTo("$0.04");
            $("#add-ref").click();
            $("#refs-list input[type=url]").sendKeys("ftp://example.com/x.png");
            $("#prompt").sendKeys("a red room");
            $("#generate").click();
            awaitPage("the reference's error beside it", () -> !text("#refs-list .error").isEmpty());
            assertThat(text("#refs-list .error")).startsWith("image_style_references[0].url must be an absolute http or https URL");

            $("#style-form").findElement(By.xpath("./ancestor::details/summary")).click();
            $("#style-file").sendKeys(lora.toString());
            $("#style-title").sendKeys("My ink");
            $("#style-form button[type=submit]").click();
            awaitPage("the style uploaded", () -> text("#style-message").startsWith("Uploaded"));
            assertThat(browser.findElements(By.cssSelector("#style-picker option"))).extracting(WebElement::getText).contains("My ink", "Ink (built in)");
            screenshot("desktop-library", "#library-title");
        } finally {
            TestServer.deleteTree(dir);
        }
    }
}
