using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Automations.Tests.E2E;

/// <summary>
/// What every browser test shares: the app and Chromium (<see cref="BrowserFixture"/>), a team of its own (admin, member,
/// outsider) made before each test, and a signed-in page in one call. A test class adds its data in
/// <see cref="ArrangeAsync"/> and shows only its case. Derived classes keep <c>[Collection(BrowserCollection.Name)]</c>.
/// </summary>
public abstract class BrowserTest(BrowserFixture browser) : IAsyncLifetime
{
    protected BrowserFixture Browser => browser;

    protected AppFactory App => browser.App;

    protected TeamFixture Team { get; private set; } = null!;

    private readonly List<IPage> _pages = [];
    private int _logStart;

    public async ValueTask InitializeAsync()
    {
        _logStart = App.Logs.Lines.Count;
        await BeforeAsync();
        if (browser.SkipReason is not null)
        {
            return;
        }

        Team = await App.CreateTeamAsync($"{char.ToLowerInvariant(GetType().Name[0])}{Guid.NewGuid():N}"[..12]);
        using var scope = App.Services.CreateScope();
        await ArrangeAsync(scope.ServiceProvider);
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result == TestResult.Failed)
        {
            await ReportFailureAsync();
        }

        foreach (var page in _pages)
        {
            await page.Context.CloseAsync();
        }

        await AfterAsync();
    }

    /// <summary>What the app logged since this test began.</summary>
    protected IReadOnlyList<string> LogsOfThisTest() => App.Logs.Lines.Skip(_logStart).ToList();

    /// <summary>Runs last (receivers the test started).</summary>
    protected virtual ValueTask AfterAsync() => ValueTask.CompletedTask;

    /// <summary>Runs first, with or without a browser (receivers the test needs either way).</summary>
    protected virtual Task BeforeAsync() => Task.CompletedTask;

    /// <summary>The test class's data for its team, made with the app's own services.</summary>
    protected virtual Task ArrangeAsync(IServiceProvider services) => Task.CompletedTask;

    /// <summary>A fresh browser context signed in as <paramref name="who"/>, in <paramref name="timeZone"/> when given.</summary>
    protected async Task<IPage> SignedInAsync(Actor who, string? timeZone = null)
    {
        var page = await browser.NewPageAsync(timeZone: timeZone);
        _pages.Add(page);
        await Pages.SignInAsync(page, who.UserName);
        return page;
    }

    /// <summary>
    /// A failed browser test says what the app logged meanwhile and where each page stood, with a screenshot in
    /// AUTOMATIONS_TEST_LOGS when that is set: a timeout alone does not say whether the app was slow, stuck or wrong.
    /// </summary>
    private async Task ReportFailureAsync()
    {
        var output = TestContext.Current.TestOutputHelper;
        var lines = App.Logs.Lines.Skip(_logStart).ToList();
        output?.WriteLine($"--- the app's log during this test ({lines.Count} lines, the last 150) ---");
        foreach (var line in lines.TakeLast(150))
        {
            output?.WriteLine(line);
        }

        var folder = Environment.GetEnvironmentVariable("AUTOMATIONS_TEST_LOGS");
        foreach (var (page, i) in _pages.Select((p, i) => (p, i)))
        {
            try
            {
                output?.WriteLine($"--- page {i}: {page.Url} ---");
                var text = await page.InnerTextAsync("body", new() { Timeout = 2_000 });
                output?.WriteLine(text.Length > 1_500 ? text[..1_500] : text);
                if (folder is { Length: > 0 })
                {
                    Directory.CreateDirectory(folder);
                    await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{GetType().Name}-{i}-{DateTime.UtcNow:HHmmss}.png"), Timeout = 5_000 });
                }
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
            {
                output?.WriteLine($"(page {i} could not be read: {ex.Message})");
            }
        }
    }
}
