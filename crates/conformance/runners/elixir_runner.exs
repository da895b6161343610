# Runs DynamicSupervisor and Registry scenarios on Elixir and prints one normalized trace per
# scenario (the same lines as crates/conformance/src/rust_runner.rs).
#
# Usage: elixir elixir_runner.exs SCENARIOS_FILE
# SCENARIOS_FILE holds `{dyn, Name, {MaxChildren, Intensity, Period}, Events}.` and
# `{reg, Name, unique | duplicate, Processes, Events}.` terms (file:consult/1).

defmodule Conf.Log do
  @tables [:conf_log, :conf_inc, :conf_pids, :conf_cur]

  def setup do
    :ets.new(:conf_log, [:ordered_set, :public, :named_table])
    for t <- tl(@tables), do: :ets.new(t, [:set, :public, :named_table])
  end

  def reset, do: Enum.each(@tables, &:ets.delete_all_objects/1)

  def log(line), do: :ets.insert(:conf_log, {:erlang.unique_integer([:monotonic]), line})

  def flush do
    lines = for {_, l} <- :ets.tab2list(:conf_log), do: l
    :ets.delete_all_objects(:conf_log)
    Enum.each(lines, &IO.puts/1)
  end

  def label(pid) do
    case :ets.lookup(:conf_pids, pid) do
      [{_, l}] -> l
      [] -> "sup"
    end
  end

  def reason(:normal), do: "normal"
  def reason(:shutdown), do: "shutdown"
  def reason({:shutdown, p}) when is_list(p), do: "{shutdown,#{p}}"
  def reason(:killed), do: "killed"
  def reason(r) when is_atom(r), do: Atom.to_string(r)
  def reason(r), do: inspect(r)

  def to_reason({:shutdown, p}), do: {:shutdown, p}
  def to_reason(r), do: r
end

defmodule Conf.Worker do
  use GenServer

  def start_link(label), do: GenServer.start_link(__MODULE__, label)

  @impl true
  def init(label) do
    Process.flag(:trap_exit, true)
    n = :ets.update_counter(:conf_inc, label, 1, {label, 0})
    full = "#{label}##{n}"
    :ets.insert(:conf_pids, {self(), full})
    :ets.insert(:conf_cur, {label, self()})
    Conf.Log.log("start #{full}")
    {:ok, full}
  end

  @impl true
  def handle_cast({:exit_with, r}, s), do: {:stop, r, s}

  @impl true
  def handle_info(_, s), do: {:noreply, s}

  @impl true
  def terminate(r, s), do: Conf.Log.log("term #{s} #{Conf.Log.reason(r)}")
end

defmodule Conf.Runner do
  def main([file]) do
    :logger.set_primary_config(:level, :none)
    {:ok, scenarios} = :file.consult(String.to_charlist(file))
    Conf.Log.setup()
    Process.flag(:trap_exit, true)
    Enum.each(scenarios, &run/1)
  end

  def main(_) do
    IO.puts(:stderr, "usage: elixir elixir_runner.exs SCENARIOS_FILE")
    System.halt(2)
  end

  defp out(line), do: IO.puts(line)

  defp wait_dead(pid) do
    ref = Process.monitor(pid)
    receive do
      {:DOWN, ^ref, :process, ^pid, _} -> :ok
    end
  end

  defp root_exit(sup) do
    receive do
      {:EXIT, ^sup, r} -> {:exited, r}
    after
      0 ->
        if Process.alive?(sup) do
          :alive
        else
          receive do
            {:EXIT, ^sup, r} -> {:exited, r}
          end
        end
    end
  end

  defp counts(c), do: "specs=#{c.specs} active=#{c.active} supervisors=#{c.supervisors} workers=#{c.workers}"

  # ---- DynamicSupervisor ------------------------------------------------------------------

  def run({:dyn, name, {max, intensity, period}, events}) do
    Conf.Log.reset()
    out("=== #{name}")
    opts = [strategy: :one_for_one, max_restarts: intensity, max_seconds: period, max_children: max]
    {:ok, sup} = DynamicSupervisor.start_link(opts)
    dyn_events(sup, events, 1, %{started: 0, last: %{}})
    out("=== end")
  end

  def run({:reg, name, keys, n, events}) do
    Conf.Log.reset()
    out("=== #{name}")
    {:ok, reg} = Registry.start_link(keys: keys, name: ConfReg)
    holders =
      for p <- 1..n//1 do
        pid = spawn(fn -> holder() end)
        :ets.insert(:conf_pids, {pid, "p#{p}"})
        pid
      end
    holders = List.to_tuple(holders)
    events |> Enum.with_index(1) |> Enum.each(fn {e, i} ->
      out("> #{i}")
      out("= #{reg_event(holders, e)}")
    end)
    for p <- Tuple.to_list(holders), do: Process.exit(p, :kill)
    Process.exit(reg, :shutdown)
    receive do
      {:EXIT, ^reg, _} -> :ok
    end
    out("=== end")
  end

  defp dyn_events(sup, [], _, _) do
    if Process.alive?(sup) do
      DynamicSupervisor.stop(sup, :shutdown)
      receive do
        {:EXIT, ^sup, _} -> :ok
      end
      :ets.delete_all_objects(:conf_log)
    end
  end

  defp dyn_events(sup, [e | rest], i, st) do
    out("> #{i}")
    {result, st} = dyn_event(sup, e, st)
    Conf.Log.flush()
    out("= #{result}")
    case root_exit(sup) do
      :alive ->
        out("children #{children(sup)}")
        dyn_events(sup, rest, i + 1, st)
      {:exited, r} ->
        out("root exit #{Conf.Log.reason(r)}")
    end
  end

  defp children(sup) do
    labels =
      for {_, pid, _, _} <- DynamicSupervisor.which_children(sup) do
        if is_pid(pid), do: Conf.Log.label(pid), else: Atom.to_string(pid)
      end
    "[" <> Enum.join(Enum.sort(labels), " ") <> "]"
  end

  defp current(k, st) do
    case :ets.lookup(:conf_cur, "w#{k}") do
      [{_, pid}] -> pid
      [] -> Map.get(st.last, k)
    end
  end

  defp dyn_event(sup, {:start_child, restart, shutdown}, st) do
    k = st.started + 1
    spec = %{id: :w, start: {Conf.Worker, :start_link, ["w#{k}"]}, restart: restart, shutdown: shutdown}
    st = %{st | started: k}
    case DynamicSupervisor.start_child(sup, spec) do
      {:ok, pid} -> {"ok #{Conf.Log.label(pid)}", %{st | last: Map.put(st.last, k, pid)}}
      {:error, e} when is_atom(e) -> {"error #{e}", st}
      {:error, _} -> {"error other", st}
    end
  end

  defp dyn_event(sup, {:exit, k, reason}, st) do
    pid = current(k, st)
    if pid != nil and Process.alive?(pid) do
      ref = Process.monitor(pid)
      case reason do
        :kill -> Process.exit(pid, :kill)
        r -> GenServer.cast(pid, {:exit_with, Conf.Log.to_reason(r)})
      end
      receive do
        {:DOWN, ^ref, :process, ^pid, _} -> :ok
      end
      case catch_exit(fn -> DynamicSupervisor.count_children(sup) end) do
        {:ok, _} -> :ok
        :exit -> wait_dead(sup)
      end
      {"ok", st}
    else
      {"noproc", st}
    end
  end

  defp dyn_event(sup, {:terminate_child, k}, st) do
    case current(k, st) do
      nil -> {"noproc", st}
      pid ->
        case DynamicSupervisor.terminate_child(sup, pid) do
          :ok -> {"ok", st}
          {:error, e} -> {"error #{e}", st}
        end
    end
  end

  defp dyn_event(sup, :which_children, st),
    do: {"#{length(DynamicSupervisor.which_children(sup))} children", st}

  defp dyn_event(sup, :count_children, st), do: {counts(DynamicSupervisor.count_children(sup)), st}

  defp dyn_event(sup, :stop, st) do
    DynamicSupervisor.stop(sup, :shutdown)
    receive do
      {:EXIT, ^sup, r} -> send(self(), {:EXIT, sup, r})
    end
    {"ok", st}
  end

  defp dyn_event(_sup, {:wait, ms}, st) do
    Process.sleep(ms)
    {"ok", st}
  end

  defp catch_exit(fun) do
    try do
      {:ok, fun.()}
    catch
      :exit, _ -> :exit
    end
  end

  # ---- Registry ---------------------------------------------------------------------------

  defp holder do
    receive do
      {:call, from, fun} ->
        send(from, {:reply, fun.()})
        holder()
    end
  end

  defp in_holder(holders, p, fun) do
    pid = elem(holders, p - 1)
    ref = Process.monitor(pid)
    send(pid, {:call, self(), fun})
    receive do
      {:reply, r} ->
        Process.demonitor(ref, [:flush])
        r

      {:DOWN, ^ref, :process, ^pid, _} ->
        "noproc"
    end
  end

  defp reg_event(holders, {:register, p, key, value}) do
    in_holder(holders, p, fn ->
      case Registry.register(ConfReg, to_string(key), value) do
        {:ok, _} -> "ok"
        {:error, {:already_registered, pid}} -> "error already_registered #{Conf.Log.label(pid)}"
      end
    end)
  end

  defp reg_event(holders, {:unregister, p, key}) do
    in_holder(holders, p, fn ->
      :ok = Registry.unregister(ConfReg, to_string(key))
      "ok"
    end)
  end

  defp reg_event(_holders, {:lookup, key}) do
    found = for {pid, v} <- Registry.lookup(ConfReg, to_string(key)), do: "#{Conf.Log.label(pid)}=#{v}"
    "[" <> Enum.join(Enum.sort(found), " ") <> "]"
  end

  defp reg_event(holders, {:keys, p}) do
    keys = Registry.keys(ConfReg, elem(holders, p - 1))
    "[" <> Enum.join(Enum.sort(keys), " ") <> "]"
  end

  defp reg_event(_holders, :count), do: "#{Registry.count(ConfReg)}"

  defp reg_event(holders, {:kill, p}) do
    pid = elem(holders, p - 1)
    Process.exit(pid, :kill)
    wait_dead(pid)
    wait_clean(pid, 2000)
    "ok"
  end

  # The registry drops a dead process's entries asynchronously; wait (bounded) for it.
  defp wait_clean(_pid, 0), do: :ok

  defp wait_clean(pid, n) do
    # Elixir drops the pid's own index before its key entries: wait until no entry is left.
    if Registry.keys(ConfReg, pid) == [] and
         Registry.select(ConfReg, [{{:_, :"$1", :_}, [{:==, :"$1", pid}], [:"$1"]}]) == [] do
      :ok
    else
      Process.sleep(1)
      wait_clean(pid, n - 1)
    end
  end
end

Conf.Runner.main(System.argv())
