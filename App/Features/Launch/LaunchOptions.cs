namespace Automations.Features.Launch;

/// <summary>The <c>Launch</c> configuration section.</summary>
public sealed class LaunchOptions
{
    public const string Section = "Launch";

    /// <summary>How often agents are asked to heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle agent waits between claims.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An agent silent for longer is offline, and the runs it held go back to their queue.</summary>
    public TimeSpan AgentTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the server looks for runs whose agent stopped heartbeating.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A run claimed but not reported Running within this goes back to its queue: the answer to the claim was lost.
    /// Agents report Running before they start the process, so the run cannot then be started twice.
    /// </summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A run given back this many times fails instead of going back once more.</summary>
    public int MaxRequeues { get; set; } = 3;
}
