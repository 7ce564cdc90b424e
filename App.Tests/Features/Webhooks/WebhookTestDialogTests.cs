using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Bunit;
using MudBlazor;

namespace Automations.Tests.Features.Webhooks;

public class WebhookTestDialogTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private LoopbackReceiver _receiver = null!;
    private WebhookSummary _hook = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("localhost", "127.0.0.1");
        _team = await _services.CreateTeamAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "SIGN", "sign-secret");
        _hook = await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Receiver", _receiver.Url(), "SIGN", null));
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _services.DisposeAsync();
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync(AppTestContext ctx)
    {
        var providers = ctx.RenderProviders();
        var access = await _services.Get<TeamService>().GetAccessAsync(_team.Admin, _team.Slug);
        var dialogs = ctx.Services.GetService(typeof(IDialogService)) as IDialogService;
        var parameters = new DialogParameters<WebhookTestDialog>
        {
            { d => d.Access, access },
            { d => d.Actor, _team.Admin },
            { d => d.Webhook, _hook },
        };
        await providers.InvokeAsync(() => { _ = dialogs!.ShowAsync<WebhookTestDialog>("Test", parameters); });
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("textarea[data-testid=test-payload]")));
        return providers;
    }

    [Fact]
    public async Task Prefilled_sample_is_sent_and_the_response_is_shown()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = await OpenAsync(ctx);

        Assert.Contains("LINK_ARTIFACT", providers.Find("textarea[data-testid=test-payload]").TextContent);
        await providers.Find("[data-testid=test-send]").ClickAsync(new());

        providers.WaitForAssertion(() => Assert.Contains("200", providers.Find("[data-testid=test-result]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("200 OK", providers.Find("[data-testid=test-result]").TextContent);
        Assert.Contains("{\"ok\":true}", providers.Find("[data-testid=test-body]").TextContent);
        Assert.Contains("X-Receiver", providers.Markup);
        Assert.Contains("X-Wandb-Signature", providers.Markup);
        Assert.DoesNotContain("sign-secret", providers.Markup);
        Assert.Single(_receiver.Received);
    }

    [Fact]
    public async Task Invalid_json_is_pointed_at_and_nothing_is_sent()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = await OpenAsync(ctx);

        await providers.Find("textarea[data-testid=test-payload]").InputAsync(new() { Value = "{\n  \"a\": 1,\n  oops\n}" });
        await providers.Find("[data-testid=test-send]").ClickAsync(new());

        providers.WaitForAssertion(() => Assert.Contains("Invalid JSON at line 3", providers.Markup));
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_refused_connection_is_shown_as_a_clear_error()
    {
        await _receiver.DisposeAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = await OpenAsync(ctx);

        await providers.Find("[data-testid=test-send]").ClickAsync(new());

        providers.WaitForAssertion(() => Assert.Contains("Connection refused", providers.Find("[data-testid=test-error]").TextContent), TimeSpan.FromSeconds(10));
    }
}
