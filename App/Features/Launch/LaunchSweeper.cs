using Microsoft.Extensions.Options;

namespace Automations.Features.Launch;

/// <summary>On a short timer, gives the runs of agents that stopped heartbeating back to their queue.</summary>
public sealed class LaunchSweeper(IServiceScopeFactory scopes, IOptionsMonitor<LaunchOptions> options, TimeProvider clock, ILogger<LaunchSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(options.CurrentValue.SweepInterval, clock, stoppingToken);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<AgentService>().RequeueLostRunsAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Looking for runs of silent agents failed; trying again on the next tick");
            }
        }
    }
}
