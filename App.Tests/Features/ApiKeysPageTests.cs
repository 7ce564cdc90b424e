using Automations.Features.ApiKeys;
using Automations.Tests.TestInfrastructure;
using Bunit;

namespace Automations.Tests.Features;

public class ApiKeysPageTests
{
    [Fact]
    public async Task Created_key_is_shown_once_authenticates_and_only_its_prefix_is_listed_afterwards()
    {
        await using var services = await TestServices.CreateAsync();
        var user = await services.CreateUserAsync("scripter");
        await using var ctx = new AppTestContext(services, user);
        ctx.RenderProviders();

        var page = ctx.Render<ApiKeysPage>();
        await page.Find("input[data-testid=api-key-name]").ChangeAsync(new() { Value = "training-cluster" });
        await page.Find("[data-testid=api-key-create]").ClickAsync(new());

        var key = page.WaitForElement("[data-testid=api-key-value]").TextContent.Trim();
        Assert.StartsWith("ak_", key);
        Assert.Equal(user.UserId, (await services.Get<ApiKeyService>().AuthenticateAsync(key)).Actor?.UserId);
        Assert.Contains("training-cluster", page.Markup);

        var again = ctx.Render<ApiKeysPage>();
        again.WaitForAssertion(() => Assert.Contains("training-cluster", again.Markup));
        Assert.DoesNotContain(key, again.Markup);
        Assert.Contains(key[..11], again.Markup);
    }
}
