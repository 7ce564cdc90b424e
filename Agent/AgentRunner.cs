using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Automations.Agent;

public sealed class AgentSettings
{
    public required string Queue { get; init; }

    public string? Name { get; init; }

    public required Uri Server { get; init; }

    /// <summary>Each run gets a directory here holding its configuration file; removed when the run ends.</summary>
    public string WorkRoot { get; init; } = Path.Combine(Path.GetTempPath(), "automations-agent");

    /// <summary>How often output is sent while a process runs; the reply also says whether to cancel.</summary>
    public TimeSpan OutputInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Output waiting to be sent beyond this is dropped from its start: the server keeps only a tail anyway.</summary>
    public int MaxPendingOutputChars { get; init; } = 256 * 1024;

    /// <summary>Stop after this many runs (tests, one-shot agents); null polls until stopped.</summary>
    public int? MaxRuns { get; init; }
}

/// <summary>
/// Polls one queue, runs each claimed run as a local process with its configuration in a JSON file
/// (path in AUTOMATIONS_RUN_CONFIG), streams its output back, reports its exit code, and stops it when
/// someone cancels the run.
/// </summary>
public sealed class AgentRunner(AgentClient client, AgentSettings settings, ILogger logger)
{
    /// <summary>
    /// Runs the job under a small /bin/sh supervisor in its own process group: when the agent dies (even kill -9), the
    /// supervisor kills the job within a second, so a run the server gives back to the queue is never still running here.
    /// Arguments: the agent's pid, then the program and its arguments; the job's exit code is the supervisor's.
    /// </summary>
    internal const string Supervisor = """
        agent=$1; shift
        if command -v setsid >/dev/null 2>&1; then setsid "$@" & else "$@" & fi
        job=$!
        ( while kill -0 "$agent" 2>/dev/null; do sleep 1; done; kill -KILL "-$job" 2>/dev/null || kill -KILL "$job" 2>/dev/null ) &
        watch=$!
        trap 'kill -TERM "-$job" 2>/dev/null || kill -TERM "$job" 2>/dev/null' TERM INT
        wait "$job"; code=$?
        kill "$watch" 2>/dev/null
        exit $code
        """;

    private readonly Lock _gate = new();
    private long? _currentRunId;
    private CancellationTokenSource? _currentCancel;
    private long _lastContact = Environment.TickCount64;
    private bool _fenced;

    public int? AgentId { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        var registered = await client.RegisterAsync(new AgentRegistration(settings.Queue, settings.Name ?? Environment.MachineName, AgentInfo.Version), ct);
        AgentId = registered.AgentId;
        logger.LogInformation("Registered as agent {AgentId} on queue {Queue}", registered.AgentId, registered.Queue);
        using var stopHeartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Stop the job well before the server would give its run to another agent (it does after TimeoutSeconds of silence).
        var fenceAfter = TimeSpan.FromSeconds(registered.TimeoutSeconds * 0.75);
        var heartbeat = HeartbeatLoopAsync(registered.AgentId, TimeSpan.FromSeconds(registered.HeartbeatSeconds), fenceAfter, stopHeartbeat.Token);
        var runs = 0;
        try
        {
            while (!ct.IsCancellationRequested && (settings.MaxRuns is null || runs < settings.MaxRuns))
            {
                ClaimedRun? run;
                try
                {
                    run = await client.ClaimAsync(settings.Queue, registered.AgentId, ct);
                }
                catch (AgentRequestException ex)
                {
                    logger.LogError("Claiming failed: {Error}", ex.Message);
                    run = null;
                }

                if (run is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(registered.PollSeconds), ct);
                    continue;
                }

                runs++;
                await ExecuteAsync(registered.AgentId, run, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await client.StopAsync(registered.AgentId, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or AgentRequestException)
            {
                // The server will notice the silence instead.
            }
        }
    }

    private async Task HeartbeatLoopAsync(int agentId, TimeSpan interval, TimeSpan fenceAfter, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(interval);
                var reply = await client.HeartbeatAsync(agentId, attempt.Token);
                Interlocked.Exchange(ref _lastContact, Environment.TickCount64);
                lock (_gate)
                {
                    if (_currentRunId is { } id && reply.CancelRunIds.Contains(id))
                    {
                        _currentCancel?.Cancel();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Heartbeat failed: {Error}", ex.Message);
            }

            FenceIfCutOff(fenceAfter);
        }
    }

    /// <summary>
    /// Out of touch with the server for most of its timeout: it is about to give the run to another agent, so stop the
    /// job here first. At most one execution of a run is ever alive.
    /// </summary>
    private void FenceIfCutOff(TimeSpan fenceAfter)
    {
        if (TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastContact)) < fenceAfter)
        {
            return;
        }

        lock (_gate)
        {
            if (_currentRunId is { } id && _currentCancel is { IsCancellationRequested: false } cancel)
            {
                logger.LogWarning("Run {RunId}: no contact with the server for {Seconds:F0} s; stopping the job before the server gives the run to another agent", id, fenceAfter.TotalSeconds);
                _fenced = true;
                cancel.Cancel();
            }
        }
    }

    private async Task ExecuteAsync(int agentId, ClaimedRun run, CancellationToken ct)
    {
        logger.LogInformation("Run {RunId}: {Job}:v{Version} for project {Project}", run.RunId, run.Job, run.JobVersion, run.Project);
        var directory = Path.Combine(settings.WorkRoot, $"run-{run.RunId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(directory);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_gate)
        {
            (_currentRunId, _currentCancel, _fenced) = (run.RunId, cancel, false);
        }

        try
        {
            await ExecuteInAsync(agentId, run, directory, cancel, ct);
        }
        catch (AgentRequestException ex) when (ex.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // The run went back to the queue (this agent was silent too long) or was deleted: someone else has it now.
            logger.LogWarning("Run {RunId} no longer belongs to this agent: {Error}", run.RunId, ex.Message);
        }
        finally
        {
            lock (_gate)
            {
                (_currentRunId, _currentCancel) = (null, null);
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task ExecuteInAsync(int agentId, ClaimedRun run, string directory, CancellationTokenSource cancel, CancellationToken agentStopping)
    {
        var configPath = Path.Combine(directory, "config.json");
        await File.WriteAllTextAsync(configPath, run.Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), agentStopping);
        var supervised = !OperatingSystem.IsWindows() && File.Exists("/bin/sh");
        if (supervised && !CanStart(run.Program, run.WorkingDirectory ?? directory))
        {
            await client.ReportAsync(run.RunId, new StatusReport(agentId, LaunchRunStatus.Failed, null, $"Could not start '{run.Program}': no such executable file."), agentStopping);
            return;
        }

        var start = new ProcessStartInfo(supervised ? "/bin/sh" : run.Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = run.WorkingDirectory ?? directory,
        };
        if (supervised)
        {
            foreach (var argument in new[] { "-c", Supervisor, "automations-supervisor", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), run.Program })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in run.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in run.Environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["AUTOMATIONS_RUN_CONFIG"] = configPath;
        start.Environment["AUTOMATIONS_RUN_ID"] = run.RunId.ToString();
        start.Environment["AUTOMATIONS_TEAM"] = run.Team;
        start.Environment["AUTOMATIONS_QUEUE"] = run.Queue;
        start.Environment["AUTOMATIONS_PROJECT"] = run.Project;
        start.Environment["AUTOMATIONS_JOB"] = run.Job;
        start.Environment["AUTOMATIONS_JOB_VERSION"] = $"v{run.JobVersion}";
        start.Environment["AUTOMATIONS_AUTOMATION_ID"] = run.AutomationId?.ToString() ?? "";
        start.Environment["AUTOMATIONS_EVENT_ID"] = run.EventId?.ToString() ?? "";
        start.Environment["AUTOMATIONS_SERVER"] = settings.Server.ToString();
        start.Environment.Remove("AUTOMATIONS_API_KEY");

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Append(e.Data).Append('\n');
                if (output.Length > settings.MaxPendingOutputChars)
                {
                    output.Remove(0, output.Length - settings.MaxPendingOutputChars);
                }
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;

        // Running first, then start: if the run went back to the queue meanwhile (a claim answered late), the server
        // answers 409 and nothing starts here, so a run never has two executions.
        await client.ReportAsync(run.RunId, new StatusReport(agentId, LaunchRunStatus.Running), agentStopping);
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            await client.ReportAsync(run.RunId, new StatusReport(agentId, LaunchRunStatus.Failed, null, $"Could not start '{run.Program}': {ex.Message}"), agentStopping);
            return;
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        async Task FlushAsync(CancellationToken ct)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
                output.Clear();
            }

            // Sent even when empty: the reply is also how the agent learns that the run was cancelled.
            var reply = await client.AppendOutputAsync(run.RunId, new OutputChunk(agentId, text), ct);
            if (reply.CancelRequested)
            {
                await cancel.CancelAsync();
            }
        }

        var exited = process.WaitForExitAsync(CancellationToken.None);
        try
        {
            while (!exited.IsCompleted)
            {
                var tick = Task.Delay(settings.OutputInterval, cancel.Token);
                await Task.WhenAny(exited, tick);
                if (cancel.IsCancellationRequested)
                {
                    break;
                }

                if (!exited.IsCompleted)
                {
                    await FlushAsync(cancel.Token);
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (AgentRequestException)
        {
            KillTree(process);
            throw;
        }

        var cancelled = cancel.IsCancellationRequested && !exited.IsCompleted;
        if (cancelled)
        {
            KillTree(process);
        }

        await exited;
        process.WaitForExit(); // drains the output events
        using var finalTimeout = agentStopping.IsCancellationRequested ? new CancellationTokenSource(TimeSpan.FromSeconds(10)) : CancellationTokenSource.CreateLinkedTokenSource(agentStopping);
        var token = agentStopping.IsCancellationRequested ? finalTimeout.Token : agentStopping;
        if (output.Length > 0)
        {
            await client.AppendOutputAsync(run.RunId, new OutputChunk(agentId, output.ToString()), token);
        }

        var report = cancelled && _fenced
            ? new StatusReport(agentId, LaunchRunStatus.Failed, null, "The agent lost contact with the server and stopped the job.")
            : cancelled && agentStopping.IsCancellationRequested
            ? new StatusReport(agentId, LaunchRunStatus.Failed, null, "The agent was stopped while the run was in progress.")
            : cancelled
                ? new StatusReport(agentId, LaunchRunStatus.Cancelled, null, "Cancelled: the agent stopped the process.")
                : process.ExitCode == 0
                    ? new StatusReport(agentId, LaunchRunStatus.Finished, 0)
                    : new StatusReport(agentId, LaunchRunStatus.Failed, process.ExitCode, $"The process exited with code {process.ExitCode}.");
        await client.ReportAsync(run.RunId, report, token);
        logger.LogInformation("Run {RunId}: {Status} (exit code {ExitCode})", run.RunId, report.Status, report.ExitCode);
    }

    /// <summary>What the supervisor's shell would find: a path to an executable file, or a name on PATH.</summary>
    private static bool CanStart(string program, string workingDirectory)
    {
        static bool Executable(string path) => File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

        if (program.Contains('/'))
        {
            return Executable(Path.Combine(workingDirectory, program));
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => Executable(Path.Combine(directory, program)));
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
