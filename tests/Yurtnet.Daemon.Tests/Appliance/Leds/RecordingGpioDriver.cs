using System.Device.Gpio;

namespace Yurtnet.Daemon.Tests.Appliance.Leds;

/// <summary>A GPIO chip in memory: records every line write, as iot's test drivers do.</summary>
internal sealed class RecordingGpioDriver : GpioDriver
{
    public List<(int Line, PinValue Value)> Writes { get; } = [];
    public HashSet<int> Open { get; } = [];

    protected override int PinCount => 32;

    protected override void OpenPin(int pinNumber) => Open.Add(pinNumber);

    protected override void ClosePin(int pinNumber) => Open.Remove(pinNumber);

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
    }

    protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => Writes.LastOrDefault(w => w.Line == pinNumber).Value;

    protected override void Write(int pinNumber, PinValue value) => Writes.Add((pinNumber, value));

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => default;

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
    }
}
