#!/usr/bin/env ruby
# Usage: delayed_op.rb OP QUEUE CLASS [JSON_ARGS]
#   OP: scheduled_at | delayed? | remove_delayed | remove_delayed_in_queue | enqueue_delayed
# resque-scheduler's look-ups of a delayed job by class and args, as a Ruby user calls them:
# CLASS is defined as a recording job whose @queue is QUEUE (Resque.remove_delayed, scheduled_at
# and delayed? find the queue through the class). Prints {"op":OP,"result":R}:
# scheduled_at -> [epoch, ...]; delayed? -> true|false; remove_* / enqueue_delayed -> count.
require_relative 'lib/interop'

op, queue, klass_name, json = ARGV
abort 'usage: delayed_op.rb OP QUEUE CLASS [JSON_ARGS]' unless op && queue && klass_name
args = interop_parse_args(json)
klass = interop_define_job(klass_name)
klass.instance_variable_set(:@queue, queue)
result = case op
         when 'scheduled_at' then Resque.scheduled_at(klass, *args).sort
         when 'delayed?' then Resque.delayed?(klass, *args)
         when 'remove_delayed' then Resque.remove_delayed(klass, *args)
         when 'remove_delayed_in_queue' then Resque.remove_delayed_in_queue(klass, queue, *args)
         when 'enqueue_delayed' then Resque.enqueue_delayed(klass, *args)
         else abort "unknown op #{op}"
         end
puts JSON.generate('op' => op, 'result' => result)
