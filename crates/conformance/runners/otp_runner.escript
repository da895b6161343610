#!/usr/bin/env escript
%%! -noshell
%% Runs supervision-tree scenarios on Erlang/OTP's real `supervisor` and `gen_server` and
%% prints one normalized trace per scenario (the format is in docs/conformance.md; the Rust
%% runner, crates/conformance/src/rust_runner.rs, prints the same lines).
%%
%% Usage: escript otp_runner.escript SCENARIOS_FILE
%% SCENARIOS_FILE holds one `{sup, Name, Node, Events}.` term per scenario (file:consult/1).
-mode(compile).
-export([start_worker/1, start_sup/2, init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2]).

main([File]) ->
    logger:set_primary_config(level, none),
    {ok, Scenarios} = file:consult(File),
    ets:new(conf_log, [ordered_set, public, named_table]),
    ets:new(conf_inc, [set, public, named_table]),
    ets:new(conf_pids, [set, public, named_table]),
    process_flag(trap_exit, true),
    lists:foreach(fun run/1, Scenarios),
    halt(0);
main(_) ->
    io:format(standard_error, "usage: otp_runner.escript SCENARIOS_FILE~n", []),
    halt(2).

%% ---- scenarios ----------------------------------------------------------------------------

run({sup, Name, Node, Events}) ->
    ets:delete_all_objects(conf_log),
    ets:delete_all_objects(conf_inc),
    ets:delete_all_objects(conf_pids),
    out("=== ~s", [Name]),
    case supervisor:start_link(?MODULE, {sup, [], Node}) of
        {ok, Root} ->
            flush(),
            out("tree ~s", [tree(Root)]),
            events(Root, Events, 1);
        Other ->
            flush(),
            out("start ~s", [term(Other)])
    end,
    out("=== end", []).

events(Root, [], _) ->
    case is_process_alive(Root) of
        true -> stop_root(Root);
        false -> ok
    end;
events(Root, [Event | Rest], I) ->
    out("> ~b", [I]),
    Result = event(Root, Event),
    flush(),
    out("= ~s", [Result]),
    case root_exit(Root) of
        alive ->
            out("tree ~s", [tree(Root)]),
            events(Root, Rest, I + 1);
        {exited, Reason} ->
            out("root exit ~s", [reason(Reason)])
    end.

root_exit(Root) ->
    receive
        {'EXIT', Root, Reason} -> {exited, Reason}
    after 0 ->
        case is_process_alive(Root) of
            true -> alive;
            false -> receive {'EXIT', Root, Reason} -> {exited, Reason} end
        end
    end.

stop_root(Root) ->
    exit(Root, shutdown),
    receive {'EXIT', Root, _} -> ok end,
    ets:delete_all_objects(conf_log).

event(Root, {exit, Path, Reason}) ->
    {ParentPath, Id} = split_last(Path),
    case chain(Root, ParentPath) of
        nosup -> "noproc";
        Chain ->
            case find_child(lists:last(Chain), Id) of
                none -> "noproc";
                {Pid, Type} ->
                    %% A killed supervisor's children are orphaned and end on their own,
                    %% concurrently with the restart: wait for every one of them too.
                    Orphans = case Type of
                                  supervisor -> descendants(Pid);
                                  worker -> []
                              end,
                    Ref = monitor(process, Pid),
                    case {Reason, Type} of
                        {kill, _} -> exit(Pid, kill);
                        {_, worker} -> gen_server:cast(Pid, {exit_with, Reason});
                        {_, supervisor} -> exit(Pid, Reason)
                    end,
                    receive {'DOWN', Ref, process, Pid, _} -> ok end,
                    settle(lists:reverse(Chain)),
                    lists:foreach(fun wait_dead/1, Orphans),
                    "ok"
            end
    end;
event(Root, {terminate_child, Path, Id}) ->
    with_sup(Root, Path, fun(Sup) -> result(supervisor:terminate_child(Sup, Id)) end);
event(Root, {restart_child, Path, Id}) ->
    with_sup(Root, Path, fun(Sup) -> result(supervisor:restart_child(Sup, Id)) end);
event(Root, {delete_child, Path, Id}) ->
    with_sup(Root, Path, fun(Sup) -> result(supervisor:delete_child(Sup, Id)) end);
event(Root, {start_child, Path, Child}) ->
    with_sup(Root, Path, fun(Sup) -> result(supervisor:start_child(Sup, spec(Path, Child))) end);
event(Root, {which_children, Path}) ->
    with_sup(Root, Path, fun(Sup) -> shallow(Sup) end);
event(Root, {count_children, Path}) ->
    with_sup(Root, Path, fun(Sup) ->
        C = supervisor:count_children(Sup),
        io_lib:format("specs=~b active=~b supervisors=~b workers=~b",
                      [proplists:get_value(K, C) || K <- [specs, active, supervisors, workers]])
    end);
event(Root, stop) ->
    exit(Root, shutdown),
    receive {'EXIT', Root, Reason} -> self() ! {'EXIT', Root, Reason} end,
    "ok";
event(_Root, {wait, Ms}) ->
    timer:sleep(Ms),
    "ok".

with_sup(Root, Path, Fun) ->
    case chain(Root, Path) of
        nosup -> "nosup";
        Chain ->
            R = Fun(lists:last(Chain)),
            settle(lists:reverse(Chain)),
            R
    end.

%% Waits until every supervisor from the innermost up has handled what the event caused: a
%% call to a live supervisor returns after it handled the EXIT it already had; a supervisor
%% that died (escalation, auto shutdown) is waited for and its parent asked in turn.
settle([]) -> ok;
settle([Sup | Parents]) ->
    case catch supervisor:count_children(Sup) of
        L when is_list(L) -> settle_parents(Parents);
        _ ->
            wait_dead(Sup),
            settle(Parents)
    end.

settle_parents([]) -> ok;
settle_parents([P | Ps]) ->
    _ = (catch supervisor:count_children(P)),
    settle_parents(Ps).

descendants(Sup) ->
    case catch supervisor:which_children(Sup) of
        L when is_list(L) ->
            lists:append([[P | case T of supervisor -> descendants(P); worker -> [] end]
                          || {_, P, T, _} <- L, is_pid(P)]);
        _ -> []
    end.

wait_dead(Pid) ->
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

%% The pids of the supervisors from the root down to Path, or nosup.
chain(Root, Path) -> chain(Root, Path, [Root]).
chain(_Sup, [], Acc) -> lists:reverse(Acc);
chain(Sup, [Id | Rest], Acc) ->
    case find_child(Sup, Id) of
        {Pid, supervisor} -> chain(Pid, Rest, [Pid | Acc]);
        _ -> nosup
    end.

find_child(Sup, Id) ->
    case catch supervisor:which_children(Sup) of
        L when is_list(L) ->
            case lists:keyfind(Id, 1, L) of
                {Id, Pid, Type, _} when is_pid(Pid) -> {Pid, Type};
                _ -> none
            end;
        _ -> none
    end.

split_last(Path) ->
    [Last | RevInit] = lists:reverse(Path),
    {lists:reverse(RevInit), Last}.

%% ---- normalized output --------------------------------------------------------------------

tree(Sup) ->
    case catch supervisor:which_children(Sup) of
        L when is_list(L) -> "[" ++ lists:join(" ", [entry(C, deep) || C <- L]) ++ "]";
        _ -> "dead"
    end.

shallow(Sup) ->
    "[" ++ lists:join(" ", [entry(C, shallow) || C <- supervisor:which_children(Sup)]) ++ "]".

entry({Id, Pid, supervisor, _}, deep) when is_pid(Pid) -> Id ++ "=" ++ tree(Pid);
entry({Id, Pid, _, _}, _) when is_pid(Pid) -> Id ++ "=" ++ label(Pid);
entry({Id, Other, _, _}, _) -> Id ++ "=" ++ atom_to_list(Other).

label(Pid) ->
    case ets:lookup(conf_pids, Pid) of
        [{_, L}] -> L;
        [] -> "sup"
    end.

result(ok) -> "ok";
result({ok, Pid}) when is_pid(Pid) -> "ok " ++ label(Pid);
result({ok, Pid, _}) when is_pid(Pid) -> "ok " ++ label(Pid);
result({ok, undefined}) -> "ok ignored";
result({error, {already_started, Pid}}) -> "error already_started " ++ label(Pid);
result({error, E}) when is_atom(E) -> "error " ++ atom_to_list(E);
result({error, _}) -> "error other".

reason(normal) -> "normal";
reason(shutdown) -> "shutdown";
reason({shutdown, P}) when is_list(P) -> "{shutdown," ++ P ++ "}";
reason(killed) -> "killed";
reason(R) when is_atom(R) -> atom_to_list(R);
reason(R) -> term(R).

term(T) -> lists:flatten(io_lib:format("~0p", [T])).

out(Fmt, Args) -> io:format(Fmt ++ "~n", Args).

log(Line) -> ets:insert(conf_log, {erlang:unique_integer([monotonic]), Line}).

flush() ->
    [out("~s", [L]) || {_, L} <- ets:tab2list(conf_log)],
    ets:delete_all_objects(conf_log).

%% ---- the processes ------------------------------------------------------------------------

spec(Path, {child, Id, Restart, Shutdown, Significant, Kind}) ->
    {Start, Type} =
        case Kind of
            worker -> {{?MODULE, start_worker, [string:join(Path ++ [Id], "/")]}, worker};
            {supervisor, Node} -> {{?MODULE, start_sup, [Path ++ [Id], Node]}, supervisor}
        end,
    #{id => Id, start => Start, restart => Restart, shutdown => Shutdown, type => Type,
      significant => Significant}.

start_worker(Label) -> gen_server:start_link(?MODULE, {worker, Label}, []).

start_sup(Path, Node) -> supervisor:start_link(?MODULE, {sup, Path, Node}).

init({sup, Path, {node, Strategy, Intensity, Period, Auto, Children}}) ->
    Flags = #{strategy => Strategy, intensity => Intensity, period => Period,
              auto_shutdown => Auto},
    {ok, {Flags, [spec(Path, C) || C <- Children]}};
init({worker, Label}) ->
    process_flag(trap_exit, true),
    N = ets:update_counter(conf_inc, Label, 1, {Label, 0}),
    L = Label ++ "#" ++ integer_to_list(N),
    ets:insert(conf_pids, {self(), L}),
    log("start " ++ L),
    {ok, L}.

handle_call(_, _, L) -> {reply, ok, L}.
handle_cast({exit_with, Reason}, L) -> {stop, Reason, L}.
handle_info(_, L) -> {noreply, L}.
terminate(Reason, L) when is_list(L) -> log("term " ++ L ++ " " ++ reason(Reason));
terminate(_, _) -> ok.
