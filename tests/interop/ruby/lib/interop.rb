# Shared setup for the Ruby Resque interop drivers.
#
# Loads Resque / resque-scheduler / plugins from the source checkouts exported by
# scripts/ruby-peer.sh into $RESQUE_RUBY_PEER_DIR (default: the folder above drivers/, for a
# copy of the drivers inside that folder); no gems from the network, only Debian's
# ruby-redis, ruby-redis-namespace, ruby-mono-logger, ruby-multi-json,
# ruby-rufus-scheduler.
#
# Environment:
#   REDIS_URL         redis://127.0.0.1:6390 by default
#   RESQUE_NAMESPACE  key prefix namespace (default "resque")
#   INTEROP_JOB_CLASSES  comma separated extra class names to define as
#                        recording jobs (e.g. "Foo,Bar::Baz")
#   RESQUE_RUBY_PEER_DIR the exported sources (resque/, resque-scheduler/, ...)
#   INTEROP_RESQUE_DIR   resque checkout to load (default $RESQUE_RUBY_PEER_DIR/resque, i.e.
#                        3.0; set to $RESQUE_RUBY_PEER_DIR/resque-2.7.0 to run 2.7.0)
#   INTEROP_SCHEDULER_DIR  resque-scheduler checkout (default .../resque-scheduler, 5.0)
peer_dir = ENV['RESQUE_RUBY_PEER_DIR'].to_s
PEERS_DIR = peer_dir.empty? ? File.expand_path('../..', __dir__) : File.expand_path(peer_dir)
RESQUE_DIR = ENV['INTEROP_RESQUE_DIR'] || File.join(PEERS_DIR, 'resque')
SCHEDULER_DIR = ENV['INTEROP_SCHEDULER_DIR'] || File.join(PEERS_DIR, 'resque-scheduler')
[
  File.join(RESQUE_DIR, 'lib'),
  File.join(SCHEDULER_DIR, 'lib'),
  File.join(PEERS_DIR, 'resque-lock-timeout', 'lib'),
  File.join(PEERS_DIR, 'resque-retry', 'lib'),
  File.join(PEERS_DIR, 'resque-lock', 'lib'),
].reverse_each { |d| $LOAD_PATH.unshift(d) unless $LOAD_PATH.include?(d) }

require 'json'
require 'redis'
require 'resque'
require 'resque-scheduler'
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

REDIS_URL = ENV['REDIS_URL'] || 'redis://127.0.0.1:6390'
RESQUE_NAMESPACE = ENV['RESQUE_NAMESPACE'] || 'resque'

# Resque.redis = "redis://..." always uses the namespace "resque"; build the
# namespace explicitly so RESQUE_NAMESPACE can change it.
Resque.redis = Redis::Namespace.new(RESQUE_NAMESPACE, redis: Redis.new(url: REDIS_URL))

# A raw (un-namespaced) connection used for interop bookkeeping.
def interop_raw_redis
  @interop_raw_redis ||= Redis.new(url: REDIS_URL)
end

PERFORMED_KEY = 'interop:performed' # raw key, NOT under the resque namespace

# Instrumentation only: remember which queue the job being performed came
# from, so the recording jobs can report it.
module InteropRememberQueue
  def perform
    Thread.current[:interop_job_queue] = queue
    super
  end
end
Resque::Job.prepend(InteropRememberQueue)

module InteropRecording
  def record_performed(args, extra = {})
    entry = {
      'lang' => 'ruby',
      'class' => name,
      'args' => args,
      'queue' => Thread.current[:interop_job_queue],
      'pid' => Process.pid,
      'at' => Time.now.to_f
    }.merge(extra)
    # Fresh connection: safe in a forked child.
    r = Redis.new(url: REDIS_URL)
    r.rpush(PERFORMED_KEY, JSON.generate(entry))
    r.close
  end

  def perform(*args)
    record_performed(args)
  end
end

def interop_define_job(full_name, &blk)
  parts = full_name.split('::')
  parent = Object
  parts[0..-2].each do |p|
    parent = parent.const_defined?(p, false) ? parent.const_get(p, false) : parent.const_set(p, Module.new)
  end
  leaf = parts.last
  return parent.const_get(leaf, false) if parent.const_defined?(leaf, false)
  klass = Class.new
  parent.const_set(leaf, klass)
  klass.extend(InteropRecording)
  klass.instance_eval(&blk) if blk
  klass
end

# --- the job class set -----------------------------------------------------
# Plain recording jobs.
%w[InteropJob ExportJob EchoJob Interop::NestedJob].each { |n| interop_define_job(n) }

# Raises RuntimeError "boom" (records first, so tests see it was attempted).
interop_define_job('FailingJob') do
  def self.perform(*args)
    record_performed(args, 'outcome' => 'raised')
    raise 'boom'
  end
end

# SlowJob: args[0] = seconds to sleep; records after sleeping.
interop_define_job('SlowJob') do
  def self.perform(*args)
    sleep(args.first.to_f)
    record_performed(args)
  end
end

# HookedJob: before_enqueue returns false when args[0] == "reject";
# before_perform raises DontPerform when args[0] == "skip".
interop_define_job('HookedJob') do
  def self.before_enqueue_check(*args)
    args.first != 'reject'
  end

  def self.before_perform_check(*args)
    raise Resque::Job::DontPerform if args.first == 'skip'
  end
end

# --- plugin jobs (loaded from the plugin checkouts) --------------------------
require 'resque-lock-timeout'   # Resque::Plugins::LockTimeout (lantins)
require 'resque/plugins/lock'   # Resque::Plugins::Lock (defunkt resque-lock)
require 'resque-retry'          # Resque::Plugins::Retry (lantins)

# LockTimeout: only one running per (class, args); lock value = expiry epoch.
# args[0] = seconds to sleep while holding the lock.
interop_define_job('LockedJob') do
  extend Resque::Plugins::LockTimeout
  @lock_timeout = 60
  def self.perform(*args)
    sleep(args.first.to_f)
    record_performed(args)
  end
end

# LockTimeout without timeout + loner (also locks at enqueue time).
interop_define_job('LonerJob') do
  extend Resque::Plugins::LockTimeout
  @loner = true
end

# defunkt resque-lock: lock taken at enqueue, released after perform.
interop_define_job('QueueLockJob') do
  extend Resque::Plugins::Lock
end

# resque-retry: fails every time; 2 retries, immediate (delay 0) requeue.
interop_define_job('RetryJob') do
  extend Resque::Plugins::Retry
  @queue = 'retries' # resque-retry re-enqueues onto the class queue
  @retry_limit = 2
  @retry_delay = 0
  def self.perform(*args)
    record_performed(args, 'outcome' => 'raised')
    raise 'retry me'
  end
end

# resque-retry with a delay: the retry goes through resque-scheduler
# (delayed:* keys) instead of straight back onto the queue.
interop_define_job('DelayedRetryJob') do
  extend Resque::Plugins::Retry
  @queue = 'retries'
  @retry_limit = 1
  @retry_delay = 600
  def self.perform(*args)
    record_performed(args, 'outcome' => 'raised')
    raise 'retry me later'
  end
end

(ENV['INTEROP_JOB_CLASSES'] || '').split(',').map(&:strip).reject(&:empty?).each do |n|
  interop_define_job(n)
end

# Resolve a class name: the Ruby class if defined here, else the bare String
# (Resque accepts a String class name; no hooks run for it).
def interop_class(name)
  Resque.constantize(name)
rescue NameError
  name
end

def interop_parse_args(json)
  return [] if json.nil? || json.empty?
  v = JSON.parse(json)
  raise ArgumentError, 'JSON_ARGS must be a JSON array' unless v.is_a?(Array)
  v
end

# INTEROP_RETRY_SUPPRESSION=1: use resque-retry's failure backend, which keeps
# retried failures out of the "failed" list (stores failure-<retry key>).
if ENV['INTEROP_RETRY_SUPPRESSION'] == '1'
  require 'resque/failure/redis'
  Resque::Failure::MultipleWithRetrySuppression.classes = [Resque::Failure::Redis]
  Resque::Failure.backend = Resque::Failure::MultipleWithRetrySuppression
end
