//! A leg's audio routing, as a SEMS session wires its input and output around the playlist.
//!
//! ```text
//!  caller's voice ──► tees (conference.teejoin) ──► input: playlist | recorder | nothing
//!  caller hears   ◄── mix-in (conference.setupMixIn) ◄── output: playlist | nothing
//! ```
//!
//! * `recordFile` is [`LegAudio::record_file`]: the recorder *replaces* the playlist as the
//!   input, so a conference item no longer hears the caller while recording (as SEMS);
//!   `stopRecord` is [`LegAudio::stop_record`], which restores the playlist and hands the
//!   recorder back to be finished and drained.
//! * `setInOutPlaylist`, `setInputPlaylist`, `setOutputPlaylist` are the methods of the same
//!   names. As in SEMS, `set_in_out_playlist` also drops the tee channels and detaches the
//!   mix-in (a later `playMixIn` is then inaudible until `setupMixIn` runs again); that is how
//!   SEMS's `conference.teeleave` restores the leg.
//! * [`LegAudio::clear_audio`] is SEMS's `AmSession::clearAudio`: it flushes the playlist,
//!   detaches input and output and raises `noAudio` with `#type=cleared`. It also runs when
//!   the recorder reaches the WAV size limit (a failing input, in SEMS's words).

use super::{ExternalAudio, ExternalId, NoAudioKind, Playlist, PlaylistEvent};
use crate::Frame;
use crate::mixer::MixIn;
use crate::recorder::{RecordError, Recorder};

/// Tee channels one leg can speak into at once.
pub const MAX_TEES: usize = 4;

/// Where the caller's voice goes (after the tees).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The playlist's current item.
    Playlist,
    /// The recorder (`recordFile`).
    Recorder,
    /// Nowhere.
    Detached,
}

/// Where what the caller hears comes from (before the mix-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The playlist.
    Playlist,
    /// Silence.
    Detached,
}

/// `conference.teejoin` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TeeError {
    /// Already speaking into [`MAX_TEES`] rooms.
    #[error("too many tee channels (at most {MAX_TEES})")]
    Full,
    /// Already teed into this channel.
    #[error("already teed into this channel")]
    Duplicate,
}

/// One leg's playlist, recorder, tees and mix-in: see the module docs.
#[derive(Debug)]
pub struct LegAudio {
    playlist: Playlist,
    input: Input,
    output: Output,
    recorder: Option<Recorder>,
    tees: heapless::Vec<ExternalId, MAX_TEES>,
    mix_in: Option<MixIn>,
    mix_in_attached: bool,
}

impl Default for LegAudio {
    fn default() -> Self {
        Self::new()
    }
}

impl LegAudio {
    /// A leg with an empty playlist as input and output.
    pub fn new() -> Self {
        Self {
            playlist: Playlist::new(),
            input: Input::Playlist,
            output: Output::Playlist,
            recorder: None,
            tees: heapless::Vec::new(),
            mix_in: None,
            mix_in_attached: false,
        }
    }

    /// The playlist.
    pub fn playlist(&self) -> &Playlist {
        &self.playlist
    }

    /// The playlist, to add or flush items.
    pub fn playlist_mut(&mut self) -> &mut Playlist {
        &mut self.playlist
    }

    /// Current input routing.
    pub fn input(&self) -> Input {
        self.input
    }

    /// Current output routing.
    pub fn output(&self) -> Output {
        self.output
    }

    /// The next event for the DSM session (separators, `noAudio`).
    pub fn poll_event(&mut self) -> Option<PlaylistEvent> {
        self.playlist.poll_event()
    }

    /// Media tick, first half: what the caller said this tick. Never allocates.
    pub fn put<E: ExternalAudio + ?Sized>(&mut self, input: &Frame, ext: &mut E) {
        // A tee whose room is gone is dropped (retain does not allocate).
        self.tees.retain(|id| ext.put(*id, input));
        match self.input {
            Input::Playlist => self.playlist.put(input, ext),
            Input::Recorder => {
                let full = match &mut self.recorder {
                    Some(r) => matches!(r.put(input), Err(RecordError::Full)),
                    None => false,
                };
                if full {
                    self.clear_audio();
                }
            }
            Input::Detached => {}
        }
    }

    /// Media tick, second half: what the caller hears this tick. Never allocates.
    pub fn get<E: ExternalAudio + ?Sized>(&mut self, out: &mut Frame, ext: &mut E) {
        match self.output {
            Output::Playlist => self.playlist.get(out, ext),
            Output::Detached => out.fill(0),
        }
        if self.mix_in_attached
            && let Some(m) = &mut self.mix_in
        {
            m.process(out);
        }
    }

    /// `recordFile`: the caller's input now goes to `recorder`. A recorder already running is
    /// returned, for the caller to finish and drain.
    pub fn record_file(&mut self, recorder: Recorder) -> Option<Recorder> {
        self.input = Input::Recorder;
        self.recorder.replace(recorder)
    }

    /// `stopRecord`: the playlist is the input again; the recorder is returned for the caller
    /// to [`Recorder::finish`] and drain.
    pub fn stop_record(&mut self) -> Option<Recorder> {
        if self.input == Input::Recorder {
            self.input = Input::Playlist;
        }
        self.recorder.take()
    }

    /// The running recorder, to drain its writes ([`Recorder::poll_write`]).
    pub fn recorder_mut(&mut self) -> Option<&mut Recorder> {
        self.recorder.as_mut()
    }

    /// `getRecordLength`: ms recorded, 0 without a recorder.
    pub fn record_length_ms(&self) -> u64 {
        self.recorder.as_ref().map_or(0, Recorder::length_ms)
    }

    /// `getRecordDataSize`: bytes recorded, 0 without a recorder.
    pub fn record_data_size(&self) -> u64 {
        self.recorder.as_ref().map_or(0, Recorder::data_size)
    }

    /// `setInOutPlaylist`: playlist as input and output; tees dropped, mix-in detached.
    pub fn set_in_out_playlist(&mut self) {
        self.input = Input::Playlist;
        self.output = Output::Playlist;
        self.tees.clear();
        self.mix_in_attached = false;
    }

    /// `setInputPlaylist`: playlist as input (tees dropped, as SEMS replaces the whole input).
    pub fn set_input_playlist(&mut self) {
        self.input = Input::Playlist;
        self.tees.clear();
    }

    /// `setOutputPlaylist`: playlist as output (mix-in detached).
    pub fn set_output_playlist(&mut self) {
        self.output = Output::Playlist;
        self.mix_in_attached = false;
    }

    /// Stop feeding the caller's voice anywhere (SEMS `setInput(NULL)`, e.g. with
    /// `$connect_session=0`).
    pub fn detach_input(&mut self) {
        self.input = Input::Detached;
    }

    /// Play silence instead of the playlist (SEMS `setOutput(NULL)`).
    pub fn detach_output(&mut self) {
        self.output = Output::Detached;
    }

    /// `conference.teejoin`: the caller's voice also goes to `id` (a speak-only participant
    /// of the second room).
    pub fn tee_join(&mut self, id: ExternalId) -> Result<(), TeeError> {
        if self.tees.contains(&id) {
            return Err(TeeError::Duplicate);
        }
        self.tees.push(id).map_err(|_| TeeError::Full)
    }

    /// Stop teeing into `id`; `false` if it was not teed. (SEMS's `teeleave` is
    /// [`LegAudio::set_in_out_playlist`] plus releasing the channel.)
    pub fn tee_leave(&mut self, id: ExternalId) -> bool {
        let before = self.tees.len();
        self.tees.retain(|t| *t != id);
        self.tees.len() != before
    }

    /// `conference.setupMixIn`: wrap the output with `mix_in` (replacing an earlier one).
    pub fn setup_mix_in(&mut self, mix_in: MixIn) {
        self.mix_in = Some(mix_in);
        self.mix_in_attached = true;
    }

    /// The mix-in, for `playMixIn`, `playMixInList` and `flushMixInList`.
    pub fn mix_in_mut(&mut self) -> Option<&mut MixIn> {
        self.mix_in.as_mut()
    }

    /// SEMS `clearAudio`: flush the playlist, detach input and output, drop tees and mix-in,
    /// finish the recorder (it stays here until [`LegAudio::stop_record`] takes it), and raise
    /// `noAudio` with `#type=cleared`.
    pub fn clear_audio(&mut self) {
        self.playlist.flush();
        self.input = Input::Detached;
        self.output = Output::Detached;
        self.tees.clear();
        self.mix_in = None;
        self.mix_in_attached = false;
        if let Some(r) = &mut self.recorder {
            r.finish();
        }
        self.playlist
            .push_event(PlaylistEvent::NoAudio(NoAudioKind::Cleared));
    }
}
