using System.Runtime.CompilerServices;

namespace Automations.Tests.TestInfrastructure;

internal static class TestProcess
{
    /// <summary>
    /// This one process hosts dozens of app instances side by side (each with its Hangfire workers, whose storage calls
    /// block a thread until the storage answers) besides browsers and test code. The thread pool starts with one thread
    /// per core and adds about one per half second when all are blocked: under a full run that left a host's background
    /// work waiting for seconds. Starting with more threads is what a process hosting that much needs.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
