using Automations.Components;
using Automations.Components.Account;
using Automations.Data;
using Automations.Features.ApiKeys;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Agent;
using Automations.Features.Secrets;
using Automations.Features;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Infrastructure.Api;
using Automations.Infrastructure.Outbound;
using Automations.Infrastructure.Security;
using Automations.Infrastructure.Telemetry;

if (args is ["agent", .. var agentArgs])
{
    return await AgentCommand.RunAsync(agentArgs);
}

var seedDemo = args.Contains("--seed-demo");
var builder = WebApplication.CreateBuilder(args.Where(a => a != "--seed-demo").ToArray());

// The host reads the static web assets manifest (MudBlazor's and the framework's files, when run from the build output
// with dotnet run) by itself in Development only; a published app has no such manifest, so this does nothing there.
if (!builder.Environment.IsDevelopment())
{
    builder.WebHost.UseStaticWebAssets();
}

builder.Services.AddClock();
builder.Services.AddGracefulStop(builder.Configuration);
builder.Services.AddAppHosting(builder.Configuration);
builder.Services.AddAppDatabase(builder.Configuration, builder.Environment);
builder.Services.AddAppDataProtection(builder.Configuration, builder.Environment);
builder.Services.AddAppIdentity();
builder.Services.AddApiAuthentication();
builder.Services.AddAppRateLimiting(builder.Configuration);
builder.Services.AddAppUi();
builder.Services.AddAppOpenApi();
builder.Services.AddAppHangfire(builder.Configuration);
builder.Services.AddGuardedHttpClient(builder.Configuration);
builder.Services.AddFeatures(builder.Configuration);
builder.AddAppTelemetry();

var app = builder.Build();

await app.MigrateDatabaseAsync();
if (seedDemo || app.Configuration.GetValue<bool>("Seed:Demo"))
{
    await app.SeedDemoAsync();
}

app.UseAppForwardedHeaders();
app.UseAppPipeline();
app.MapAppHealth();
app.MapAppMetrics();
app.MapAppUi();
app.MapAppOpenApi();
app.MapAppHangfireDashboard();
app.MapFeatures();

await app.RunAsync();
return 0;

public partial class Program;
