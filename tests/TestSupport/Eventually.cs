namespace Yurtnet.TestSupport;

/// <summary>Waits for a condition instead of sleeping a fixed time.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 25 ms for up to 15 s; returns whether it became true.</summary>
    public static Task<bool> WaitForAsync(Func<bool> condition) => WaitForAsync(condition, TimeSpan.FromSeconds(15));

    /// <summary>Polls <paramref name="condition"/> every 25 ms for up to <paramref name="timeout"/>; returns whether it became true.</summary>
    public static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(25);
        }

        return condition();
    }
}
