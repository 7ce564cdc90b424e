using System.Diagnostics;
using System.Text;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// The app as users run it: a process of its own (<c>dotnet App.dll --urls … --Key value …</c>) on a fixed port,
/// which a test can kill -9 and start again. <see cref="Front"/> runs the example load balancer the same way.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly StringBuilder _output = new();
    private readonly TestDirectory _data = new();
    private readonly string _dll;
    private readonly string _readyPath;
    private Process? _process;

    public AppProcess(string name, Dictionary<string, string?> settings)
        : this(name, settings, typeof(Program).Assembly.Location, "/readyz")
    {
    }

    private AppProcess(string name, Dictionary<string, string?> settings, string dll, string readyPath)
    {
        Name = name;
        _settings = settings;
        _dll = dll;
        _readyPath = readyPath;
        Port = PostgresServer.FreePort();
    }

    /// <summary>Front/ (YARP), built beside the tests, ready when its own /front/healthz answers.</summary>
    public static AppProcess Front(Dictionary<string, string?> settings) =>
        new("front", settings, Path.Combine(AppContext.BaseDirectory, "Front.dll"), "/front/healthz");

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The last of what the process printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                var text = _output.ToString();
                return text.Length > 6000 ? text[^6000..] : text;
            }
        }
    }

    public bool Running => _process is { HasExited: false };

    /// <summary>Starts the process and waits until its ready path (the app's /readyz) answers 200.</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(_dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(Url);
        foreach (var (key, value) in _settings.ContainsKey("Storage:DataDirectory") ? _settings : _settings.Append(new("Storage:DataDirectory", _data.Path)))
        {
            start.ArgumentList.Add($"--{key}");
            start.ArgumentList.Add(value ?? "");
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail($"{Name} exited ({process.ExitCode}) before it was ready:\n{Output}");
            }

            try
            {
                if ((await http.GetAsync(Url + _readyPath)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"{Name} was not ready in time:\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>kill -9: no drain, no goodbye; leases and fetched jobs are left as a crash leaves them.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine($"[{Name}] {line}");
            if (_output.Length > 200_000)
            {
                _output.Remove(0, 100_000);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
        }

        _data.Dispose();
    }
}
