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

    public async ValueTask InitializeAsync()
    {
        await BeforeAsync();
        if (browser.SkipReason is not null)
        {
            return;
        }

        Team = await App.CreateTeamAsync($"{char.ToLowerInvariant(GetType().Name[0])}{Guid.NewGuid():N}"[..12]);
        using var scope = App.Services.CreateScope();
        await ArrangeAsync(scope.ServiceProvider);
    }

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Runs first, with or without a browser (receivers the test needs either way).</summary>
    protected virtual Task BeforeAsync() => Task.CompletedTask;

    /// <summary>The test class's data for its team, made with the app's own services.</summary>
    protected virtual Task ArrangeAsync(IServiceProvider services) => Task.CompletedTask;

    /// <summary>A fresh browser context signed in as <paramref name="who"/>.</summary>
    protected async Task<IPage> SignedInAsync(Actor who)
    {
        var page = await browser.NewPageAsync();
        await Pages.SignInAsync(page, who.UserName);
        return page;
    }
}
